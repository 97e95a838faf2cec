// Line shapes of the two loggers (contract 10.1, 10.2), level filtering and thread buffering.
#include <gtest/gtest.h>

#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <regex>
#include <thread>

#include "observability/logger.hpp"

namespace portcullis::observability {
namespace {

class Pipe {
public:
    Pipe() { EXPECT_EQ(::pipe(fds_), 0); }
    ~Pipe() {
        ::close(fds_[0]);
        if (fds_[1] >= 0) ::close(fds_[1]);
    }
    int writer() const { return fds_[1]; }
    std::string drain() {
        ::close(fds_[1]);
        fds_[1] = -1;
        std::string out;
        char buf[4096];
        for (ssize_t n; (n = ::read(fds_[0], buf, sizeof buf)) > 0;)
            out.append(buf, static_cast<std::size_t>(n));
        return out;
    }

private:
    int fds_[2] = {-1, -1};
};

TEST(Logger, ApplicationLineHasLabelIsoTimePidHostnameFieldsAndMsgLast) {
    Pipe pipe;
    Logger logger(Level::info, pipe.writer());
    logger.log(Level::warn, "Blocked CORS origin", LogFields().str("origin", "https://x"));
    const auto text = pipe.drain();
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    const auto v = boost::json::parse(text).as_object();
    EXPECT_EQ(v.at("level").as_string(), "warn");
    EXPECT_TRUE(std::regex_match(std::string(v.at("time").as_string()),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    EXPECT_EQ(v.at("pid").as_int64(), ::getpid());
    EXPECT_TRUE(v.at("hostname").is_string());
    EXPECT_EQ(v.at("origin").as_string(), "https://x");
    EXPECT_LT(text.find("\"origin\""), text.find("\"msg\""));
    EXPECT_EQ(v.at("msg").as_string(), "Blocked CORS origin");
}

TEST(Logger, LevelsBelowTheMinimumAreDropped) {
    Pipe pipe;
    Logger logger(Level::warn, pipe.writer());
    logger.log(Level::info, "hidden");
    logger.log(Level::error, "shown");
    const auto text = pipe.drain();
    EXPECT_EQ(text.find("hidden"), std::string::npos);
    EXPECT_NE(text.find("shown"), std::string::npos);
    Logger silent(Level::silent, -1);
    EXPECT_FALSE(silent.enabled(Level::fatal));
}

TEST(Logger, RequestPrefixUsesNumericLevelAndEpochMillis) {
    Logger logger(Level::info, -1);
    const auto line = logger.request_line_prefix(Level::info) + ",\"msg\":\"x\"}";
    const auto v = boost::json::parse(line).as_object();
    EXPECT_EQ(v.at("level").as_int64(), 30);
    EXPECT_GT(v.at("time").as_int64(), 1'700'000'000'000);
}

TEST(Logger, BufferedThreadsWriteOnFlushAndLinesStayWhole) {
    // A file rather than a pipe: the output is larger than a pipe's buffer.
    std::FILE* file = std::tmpfile();
    ASSERT_NE(file, nullptr);
    Logger logger(Level::info, ::fileno(file));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&logger, t] {
            logger.buffer_this_thread();
            for (int i = 0; i < 200; ++i) {
                logger.log(Level::info, "line",
                           LogFields().num("t", std::int64_t{t}).num("i", std::int64_t{i}));
            }
            logger.flush_thread_buffer();
        });
    }
    for (auto& th : threads) th.join();
    std::string text;
    std::rewind(file);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file)) > 0;) text.append(buf, n);
    std::fclose(file);
    std::size_t lines = 0;
    for (std::size_t pos = 0, next; (next = text.find('\n', pos)) != std::string::npos;
         pos = next + 1) {
        EXPECT_NO_THROW(boost::json::parse(text.substr(pos, next - pos)));
        ++lines;
    }
    EXPECT_EQ(lines, 800u);
}

}  // namespace
}  // namespace portcullis::observability
