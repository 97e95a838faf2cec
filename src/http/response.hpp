// An HTTP response under construction; the connection serializes it.
#pragma once

#include <string>
#include <string_view>

#include "http/headers.hpp"

namespace portcullis::http {

class CachedBody;

struct Response {
    int status = 200;
    ResponseHeaders headers;
    std::string body;
    bool chunked = false;    // set by compression: no Content-Length, one chunk
    bool allow_etag = true;  // false for bodies the reference streams (Prometheus text)
    // Set when `body` is a copy of a body served many times: the ETag and compressed forms come
    // from it instead of being computed per request. Must outlive the response.
    const CachedBody* cached = nullptr;

    // `Content-Type: application/json; charset=utf-8` with `json_text` as the body.
    static Response json(int status, std::string json_text);
    // The error envelope of contract 3.2; empty `code`/`details_json` are omitted.
    static Response error(int status, std::string_view message, std::string_view code = {},
                          std::string_view details_json = {});
    // 204 and friends: no body, no content type.
    static Response empty(int status);
};

// Adds `token` to the Vary header, keeping existing values (`Origin, Accept-Encoding`).
void add_vary(Response& response, std::string_view token);

// Reason phrase for the status line.
std::string_view reason_phrase(int status);

}  // namespace portcullis::http
