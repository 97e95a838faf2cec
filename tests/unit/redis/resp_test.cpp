// RESP encoding and decoding (design section 8, sans-I/O): replies split at every byte, pipelined
// replies, nested arrays, and malformed input refused.
#include <gtest/gtest.h>

#include "redis/resp.hpp"

namespace portcullis::redis {
namespace {

TEST(Resp, EncodesCommandsAsArraysOfBulkStrings) {
    std::string out;
    encode_command(out, {"SET", "key", "va\r\nlue", ""});
    EXPECT_EQ(out, "*4\r\n$3\r\nSET\r\n$3\r\nkey\r\n$7\r\nva\r\nlue\r\n$0\r\n\r\n");
}

TEST(Resp, DecodesEveryReplyTypeEvenWhenSplitAtEachByte) {
    const std::string bytes =
        "+OK\r\n-NOSCRIPT No matching script\r\n:42\r\n$5\r\nhe\r\no\r\n$-1\r\n"
        "*2\r\n:1\r\n*1\r\n$3\r\nabc\r\n";
    ReplyReader reader;
    std::vector<Reply> replies;
    for (const char c : bytes) {
        reader.feed(std::string_view(&c, 1));
        while (auto reply = reader.next()) replies.push_back(std::move(*reply));
    }
    ASSERT_EQ(replies.size(), 6u);
    EXPECT_EQ(replies[0].type, Reply::Type::status);
    EXPECT_EQ(replies[0].text, "OK");
    EXPECT_TRUE(replies[1].is_error());
    EXPECT_EQ(replies[1].text, "NOSCRIPT No matching script");
    EXPECT_EQ(replies[2].type, Reply::Type::integer);
    EXPECT_EQ(replies[2].integer, 42);
    EXPECT_EQ(replies[3].text, "he\r\no");
    EXPECT_EQ(replies[4].type, Reply::Type::nil);
    ASSERT_EQ(replies[5].type, Reply::Type::array);
    ASSERT_EQ(replies[5].elements.size(), 2u);
    EXPECT_EQ(replies[5].elements[0].integer, 1);
    EXPECT_EQ(replies[5].elements[1].elements.at(0).text, "abc");
}

TEST(Resp, IncompleteReplyWaitsForMoreBytes) {
    ReplyReader reader;
    reader.feed("$10\r\nhello");
    EXPECT_FALSE(reader.next());
    reader.feed("world\r\n");
    const auto reply = reader.next();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->text, "helloworld");
    EXPECT_FALSE(reader.next());
}

TEST(Resp, MalformedRepliesAreProtocolErrors) {
    for (const std::string bad : {"?what\r\n", ":12x\r\n", "$abc\r\n"}) {
        ReplyReader reader;
        reader.feed(bad);
        EXPECT_THROW(reader.next(), ProtocolError) << bad;
    }
}

TEST(Resp, ArraysLongerThanAnyReplyWeReadAreRefusedAtTheirHeader) {
    // Found by fuzz/resp.cpp (issue #19): hiredis allocates an array's element table when it reads
    // `*<count>`, so 13 bytes from a broken or hostile Redis asked for gigabytes.
    for (const std::string header : {"*100000\r\n", "*2147483647\r\n", "*1\r\n*555555551\r\n"}) {
        ReplyReader reader;
        reader.feed(header);
        try {
            (void)reader.next();
            ADD_FAILURE() << header << " was not refused";
        } catch (const ProtocolError& error) {
            EXPECT_NE(std::string(error.what()).find("array of"), std::string::npos)
                << error.what();
        }
    }
    // The longest array still read is far beyond the two integers of our scripts' replies.
    std::string longest = "*" + std::to_string(kMaxReplyArrayElements) + "\r\n";
    for (int i = 0; i < kMaxReplyArrayElements; ++i) longest += ":7\r\n";
    ReplyReader reader;
    reader.feed(longest);
    const auto reply = reader.next();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->elements.size(), static_cast<std::size_t>(kMaxReplyArrayElements));
    EXPECT_EQ(reply->elements.back().integer, 7);
}

}  // namespace
}  // namespace portcullis::redis
