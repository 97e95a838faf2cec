// The JSON text step of body parsing (contract 3.4, decisions E.1), apart from the middleware so
// the body fuzzer (fuzz/json_body.cpp) and the tests can call it: strict mode (a top-level object
// or array), duplicate keys resolved last-wins, nesting bounded by kMaxJsonDepth.
#pragma once

#include <boost/json/fwd.hpp>

#include <memory>
#include <string_view>

#include "http/error.hpp"

namespace portcullis::http {

struct ParsedJson {
    std::unique_ptr<boost::json::value> value;  // set on success
    const LayerError* error = nullptr;          // INVALID_JSON or JSON_TOO_DEEP otherwise
};

// `text` is the (inflated) body; an empty text is the empty object (contract 3.4).
ParsedJson parse_json_text(std::string_view text);

}  // namespace portcullis::http
