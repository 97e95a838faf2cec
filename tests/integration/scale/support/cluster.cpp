// See cluster.hpp.
#include "cluster.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace portcullis::test {
namespace {
std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
}  // namespace

Cluster::Cluster(const std::map<std::string, std::string>& env, int replicas,
                 const std::string& mode, int shutdown_delay_ms)
    : replicas_(replicas) {
    std::string templ =
        (std::filesystem::temp_directory_path() / "portcullis-cluster-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = templ;
    {
        std::ofstream out(dir_ + "/given.env");
        for (const auto& [k, v] : env) out << k << "=" << v << "\n";
    }
    command_prefix_ = "CLUSTER_DIR=" + dir_ + " CLUSTER_ENV_FILE=" + dir_ +
                      "/given.env CLUSTER_REPLICAS=" + std::to_string(replicas) +
                      " CLUSTER_MODE=" + mode +
                      " CLUSTER_SHUTDOWN_DELAY_MS=" + std::to_string(shutdown_delay_ms) +
                      " PORTCULLIS_BIN=" + PORTCULLIS_BINARY + " " + PORTCULLIS_SOURCE_DIR +
                      "/scripts/cluster.sh ";
    try {
        run("up");
    } catch (...) {
        std::system((command_prefix_ + "down >/dev/null 2>&1").c_str());
        throw;
    }
    port_ = static_cast<std::uint16_t>(std::stoi(read_file(dir_ + "/port")));
}

Cluster::~Cluster() {
    std::system((command_prefix_ + "down >/dev/null 2>&1").c_str());
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

std::string Cluster::run(const std::string& args) const {
    const std::string command = command_prefix_ + args + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error("popen failed");
    std::string out;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
    const int status = ::pclose(pipe);
    if (status != 0) throw std::runtime_error("scripts/cluster.sh " + args + " failed: " + out);
    return out;
}

std::string Cluster::replica_log(int i) const {
    return read_file(dir_ + "/replica-" + std::to_string(i) + "/output.log");
}

std::size_t Cluster::count_in_log(int i, const std::string& needle) const {
    std::istringstream in(replica_log(i));
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
    return n;
}

}  // namespace portcullis::test
