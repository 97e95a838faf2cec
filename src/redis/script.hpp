// A Lua script run by EVALSHA, falling back to EVAL when the server does not know it (NOSCRIPT,
// e.g. after a Redis restart), so each check stays one round trip.
#pragma once

#include <string>

namespace portcullis::redis {

struct Script {
    explicit Script(std::string source);
    std::string source;
    std::string sha1;  // lower-case hex, as SCRIPT LOAD returns it
};

}  // namespace portcullis::redis
