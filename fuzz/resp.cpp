// Fuzz target: the RESP reply reader (redis/resp.hpp) fed what a hostile or broken Redis could
// send, in pieces of fuzzer-chosen sizes. It yields replies or a ProtocolError, never a crash; and
// any list of arguments encoded as a command reads back as the same array of bulk strings.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "redis/resp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using portcullis::redis::ProtocolError;
    using portcullis::redis::Reply;
    using portcullis::redis::ReplyReader;
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

    // The stream in chunks: the first byte sets the chunk size.
    const std::size_t chunk = 1 + data[0] % 64;
    ReplyReader reader;
    try {
        for (std::size_t at = 0; at < input.size(); at += chunk) {
            reader.feed(input.substr(at, chunk));
            while (const auto reply = reader.next()) {
                if (reply->type == Reply::Type::array) (void)reply->elements.size();
            }
        }
    } catch (const ProtocolError&) {
        // The connection would be dropped: a valid outcome for garbage.
    }

    // Encoding round trip: arguments split at NUL bytes.
    std::vector<std::string> args;
    std::string_view rest = input;
    while (!rest.empty() && args.size() < 16) {
        const auto nul = rest.find('\0');
        args.emplace_back(rest.substr(0, nul));
        rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
    }
    if (args.empty()) return 0;
    std::string encoded;
    portcullis::redis::encode_command(encoded, args);
    ReplyReader echo;
    echo.feed(encoded);
    const auto reply = echo.next();
    FUZZ_CHECK(reply && reply->type == Reply::Type::array && reply->elements.size() == args.size());
    for (std::size_t i = 0; i < args.size(); ++i) {
        FUZZ_CHECK(reply->elements[i].type == Reply::Type::string);
        FUZZ_CHECK(reply->elements[i].text == args[i]);
    }
    FUZZ_CHECK(!echo.next());
    return 0;
}
