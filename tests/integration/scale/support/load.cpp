// See load.hpp.
#include "load.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace portcullis::test {

bool sanitizer_run() {
    const char* options = std::getenv("ASAN_OPTIONS");
    return options != nullptr && *options != '\0';
}

LoadRun::LoadRun(std::uint16_t port, std::chrono::milliseconds duration,
                 std::vector<std::string> extra) {
    std::string templ =
        (std::filesystem::temp_directory_path() / "portcullis-load-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = templ;
    std::vector<std::string> args{
        PORTCULLIS_LOAD_BINARY,           "--port", std::to_string(port), "--duration-ms",
        std::to_string(duration.count()), "--out",  dir_ + "/result.json"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        const int fd = ::open((dir_ + "/stderr.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
}

LoadRun::~LoadRun() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

LoadResult LoadRun::stop() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
    return wait();
}

LoadResult LoadRun::wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::ifstream err(dir_ + "/stderr.log");
        std::stringstream ss;
        ss << err.rdbuf();
        throw std::runtime_error("portcullis_load failed: " + ss.str());
    }
    std::ifstream in(dir_ + "/result.json");
    std::stringstream ss;
    ss << in.rdbuf();
    LoadResult result;
    result.raw = boost::json::parse(ss.str());
    const auto& total = result.raw.at("total").as_object();
    result.requests = result.raw.at("requests").to_number<std::int64_t>();
    result.ok = total.at("ok").to_number<std::int64_t>();
    result.failed = total.at("failed").to_number<std::int64_t>();
    result.lost = total.at("lost").to_number<std::int64_t>();
    result.timeouts = total.at("timeouts").to_number<std::int64_t>();
    result.connect_errors = total.at("connect_errors").to_number<std::int64_t>();
    for (const auto& [code, count] : total.at("unexpected_statuses").as_object()) {
        result.unexpected.emplace_back(std::stoi(std::string(code)),
                                       count.to_number<std::int64_t>());
    }
    return result;
}

std::string LoadResult::summary() const {
    std::string out = "requests=" + std::to_string(requests) + " ok=" + std::to_string(ok) +
                      " failed=" + std::to_string(failed) + " (lost " + std::to_string(lost) +
                      ", timeouts " + std::to_string(timeouts);
    for (const auto& [status, count] : unexpected) {
        out += ", " + std::to_string(status) + " " + std::to_string(count);
    }
    out += ") connect_errors=" + std::to_string(connect_errors);
    if (raw.is_object()) {
        out += "; samples:";
        for (const auto& [text, count] : raw.at("failure_samples").as_object()) {
            out +=
                " [" + std::string(text) + "] x" + std::to_string(count.to_number<std::int64_t>());
        }
    }
    return out;
}

std::int64_t LoadResult::first_failure_ms() const {
    for (const auto& row : raw.at("timeline").as_array()) {
        if (row.at("failed").to_number<std::int64_t>() > 0) {
            return row.at("t_ms").to_number<std::int64_t>();
        }
    }
    return -1;
}

std::int64_t LoadResult::last_failure_ms() const {
    std::int64_t last = -1;
    for (const auto& row : raw.at("timeline").as_array()) {
        if (row.at("failed").to_number<std::int64_t>() > 0) {
            last = row.at("t_ms").to_number<std::int64_t>();
        }
    }
    return last;
}

std::int64_t LoadResult::count_status(int status) const {
    for (const auto& [s, count] : unexpected) {
        if (s == status) return count;
    }
    return 0;
}

}  // namespace portcullis::test
