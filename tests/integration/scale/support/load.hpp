// Runs `portcullis_load` (tests/integration/scale/load_client.cpp) in the background for the
// scale tests and reads its JSON summary.
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

namespace portcullis::test {

struct LoadResult {
    boost::json::value raw;
    std::int64_t requests = 0;
    std::int64_t ok = 0;
    std::int64_t failed = 0;  // lost + timeouts + unexpected statuses
    std::int64_t lost = 0;
    std::int64_t timeouts = 0;
    std::int64_t connect_errors = 0;
    // The unexpected statuses, e.g. {503: 12}.
    std::vector<std::pair<int, std::int64_t>> unexpected;
    // "requests=N ok=N failed=N (lost N, timeouts N, 503 N) connect_errors=N; samples: ..."
    std::string summary() const;
    // The first and last timeline bucket (ms from the start) with a failure, -1 when none.
    std::int64_t first_failure_ms() const;
    std::int64_t last_failure_ms() const;
    std::int64_t count_status(int status) const;
};

class LoadRun {
public:
    // Starts `portcullis_load --port PORT --duration-ms DURATION <extra...>`.
    LoadRun(std::uint16_t port, std::chrono::milliseconds duration,
            std::vector<std::string> extra = {});
    ~LoadRun();
    LoadRun(const LoadRun&) = delete;
    LoadRun& operator=(const LoadRun&) = delete;

    // Ends the run now (SIGTERM), then as wait().
    LoadResult stop();
    // Waits for the run to end and parses its summary; throws when it failed.
    LoadResult wait();

private:
    pid_t pid_ = -1;
    std::string dir_;
};

// True when the tests run the sanitizer build (the asan test preset sets ASAN_OPTIONS): loads and
// rounds are then shortened, since everything runs several times slower.
bool sanitizer_run();

}  // namespace portcullis::test
