// See signing_keys.hpp.
#include "auth/signing_keys.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace portcullis::auth {
namespace fs = std::filesystem;

std::optional<std::vector<Ed25519Key>> load_signing_keys(const std::optional<std::string>& dir,
                                                         const std::optional<std::string>& pem,
                                                         std::string& error) {
    std::vector<Ed25519Key> keys;
    if (pem) {
        std::string problem;
        auto key = Ed25519Key::from_pem(*pem, problem);
        if (!key) {
            error = "JWT_SIGNING_KEY is " + problem;
            return std::nullopt;
        }
        keys.push_back(std::move(*key));
        return keys;
    }
    if (!dir) {
        error = "no signing key configured";
        return std::nullopt;
    }
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(*dir, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".pem") {
            files.push_back(entry.path());
        }
    }
    if (ec) {
        error = "cannot read " + *dir + ": " + ec.message();
        return std::nullopt;
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        const std::string text{std::istreambuf_iterator<char>(in),
                               std::istreambuf_iterator<char>()};
        std::string problem;
        auto key = Ed25519Key::from_pem(text, problem);
        if (!key) {
            error = file.string() + " is " + problem;
            return std::nullopt;
        }
        keys.push_back(std::move(*key));
    }
    if (keys.empty()) {
        error = *dir + " holds no *.pem key (create one with `portcullis keys generate`)";
        return std::nullopt;
    }
    return keys;
}

std::string write_new_signing_key(const std::string& dir, const Ed25519Key& key) {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char name[32];
    std::strftime(name, sizeof name, "%Y%m%dT%H%M%SZ", &utc);
    fs::create_directories(dir);
    // A sequence number keeps keys made within the same second in order (and never overwrites).
    std::string path;
    int fd = -1;
    for (int n = 0; fd < 0 && n < 100; ++n) {
        const std::string sequence = (n < 10 ? "-0" : "-") + std::to_string(n);
        path = (fs::path(dir) / (std::string(name) + sequence + ".pem")).string();
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0 && errno != EEXIST) {
            throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
        }
    }
    if (fd < 0) throw std::runtime_error("cannot find a free key file name in " + dir);
    const std::string pem = key.private_pem();
    const bool written = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
    ::close(fd);
    if (!written) throw std::runtime_error("cannot write " + path);
    return path;
}

}  // namespace portcullis::auth
