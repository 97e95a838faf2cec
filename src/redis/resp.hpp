// RESP2 as the client needs it (design section 8, sans-I/O): commands encoded as arrays of bulk
// strings, replies decoded by hiredis' reader from whatever pieces the socket delivers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::redis {

struct Reply {
    enum class Type { string, status, error, integer, nil, array };
    Type type = Type::nil;
    std::string text;  // string, status and error replies
    std::int64_t integer = 0;
    std::vector<Reply> elements;  // array replies

    bool is_error() const { return type == Type::error; }
};

// `*<n>\r\n` followed by `$<len>\r\n<arg>\r\n` per argument, appended to `out`.
void encode_command(std::string& out, const std::vector<std::string>& args);

// The longest array reply read; a longer one is a ProtocolError at its `*<count>` header, before
// hiredis allocates its element table (up to 16 GB for the count it accepts). Our scripts reply
// with two integers at most.
inline constexpr int kMaxReplyArrayElements = 1 << 16;

// Thrown when the bytes are not RESP (the connection must then be dropped).
class ProtocolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class ReplyReader {
public:
    ReplyReader();
    ~ReplyReader();
    ReplyReader(const ReplyReader&) = delete;
    ReplyReader& operator=(const ReplyReader&) = delete;

    void feed(std::string_view bytes);
    // The next complete reply, or nullopt until more bytes arrive. Throws ProtocolError.
    std::optional<Reply> next();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace portcullis::redis
