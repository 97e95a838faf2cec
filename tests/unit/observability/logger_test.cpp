// Line shapes of the two loggers (contract 10.1, 10.2), level filtering, thread buffering, and the
// writer thread's bounded queue: a reader that stops reading costs dropped, counted lines, never a
// blocked caller (issue #18 item 6).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdio>
#include <future>
#include <regex>
#include <thread>

#include "observability/logger.hpp"

namespace portcullis::observability {
namespace {
using namespace std::chrono_literals;

class Pipe {
public:
    Pipe() { EXPECT_EQ(::pipe(fds_), 0); }
    ~Pipe() {
        ::close(fds_[0]);
        if (fds_[1] >= 0) ::close(fds_[1]);
    }
    int writer() const { return fds_[1]; }
    int reader() const { return fds_[0]; }
    int unread_bytes() const {
        int n = 0;
        ::ioctl(fds_[0], FIONREAD, &n);
        return n;
    }
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
    ASSERT_TRUE(logger.flush(5s));
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
    ASSERT_TRUE(logger.flush(5s));
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
    ASSERT_TRUE(logger.flush(5s));
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

TEST(Logger, AFatalLineIsWrittenBeforeLogReturns) {
    Pipe pipe;
    Logger logger(Level::info, pipe.writer());
    logger.log(Level::fatal, "Invalid configuration");
    EXPECT_GT(pipe.unread_bytes(), 0);
}

// Logs `lines` lines of about 200 bytes from a new thread; true when that finished within
// `limit`. On failure the pipe is read until the thread ends, so the test can still finish.
bool logs_within(Logger& logger, Pipe& pipe, int lines, std::chrono::milliseconds limit) {
    std::packaged_task<void()> task([&logger, lines] {
        const std::string padding(150, 'x');
        for (int i = 0; i < lines; ++i) {
            logger.log(Level::info, "line",
                       LogFields().num("i", std::int64_t{i}).str("p", padding));
        }
    });
    auto done = task.get_future();
    std::thread thread(std::move(task));
    const bool in_time = done.wait_for(limit) == std::future_status::ready;
    char buf[65536];
    while (done.wait_for(0s) != std::future_status::ready) {
        if (::read(pipe.reader(), buf, sizeof buf) <= 0) break;
    }
    thread.join();
    return in_time;
}

TEST(Logger, AReaderThatStopsReadingCostsDroppedLinesNotABlockedCaller) {
    Pipe pipe;  // nobody reads it: it holds 64 KiB, then write() would block
    Logger logger(Level::info, pipe.writer(), 128 * 1024);
    constexpr int kLines = 20000;  // about 4 MB
    ASSERT_TRUE(logs_within(logger, pipe, kLines, 10s)) << "log() blocked on a full pipe";
    EXPECT_GT(logger.dropped_lines(), 0u);
    EXPECT_LT(logger.dropped_lines(), static_cast<std::uint64_t>(kLines));
    EXPECT_FALSE(logger.flush(100ms)) << "nothing drains into a pipe nobody reads";

    // Once the reader is back, everything that was queued comes out in whole lines, and what was
    // not written is exactly what was counted.
    std::string text;
    std::thread reader([&] {
        char buf[65536];
        for (ssize_t n; (n = ::read(pipe.reader(), buf, sizeof buf)) > 0;) {
            text.append(buf, static_cast<std::size_t>(n));
        }
    });
    EXPECT_TRUE(logger.flush(10s));
    ::close(pipe.writer());
    reader.join();
    std::size_t written = 0;
    for (std::size_t pos = 0, next; (next = text.find('\n', pos)) != std::string::npos;
         pos = next + 1) {
        EXPECT_NO_THROW(boost::json::parse(text.substr(pos, next - pos)));
        ++written;
    }
    EXPECT_EQ(written + logger.dropped_lines(), static_cast<std::size_t>(kLines));
}

TEST(Logger, NeitherFlushNorDestructionHangsOnAPipeNobodyReads) {
    ::signal(SIGPIPE, SIG_IGN);  // the abandoned writer gets EPIPE once the pipe is closed
    Pipe pipe;
    auto logger = std::make_unique<Logger>(Level::info, pipe.writer(), 256 * 1024);
    ASSERT_TRUE(logs_within(*logger, pipe, 5000, 10s));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(logger->flush(200ms));
    logger.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - start, LogWriter::kExitDrain + 2s);
}

TEST(LogFields, RenderInInsertionOrder) {
    LogFields f;
    f.str("a", "x")
        .num("b", std::int64_t{2})
        .boolean("c", true)
        .raw("d", "[1]")
        .error("Error", "boom");
    EXPECT_EQ(f.text(),
              R"(,"a":"x","b":2,"c":true,"d":[1],"err":{"type":"Error","message":"boom"})");
}

}  // namespace
}  // namespace portcullis::observability
