// See pg_replica_set.hpp. As root, the clusters belong to the `postgres` system user (Postgres
// refuses to run as root), as in scripts/stack.sh and private_postgres.cpp.
#include "pg_replica_set.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "harness.hpp"
#include "server_process.hpp"

namespace portcullis::test {
namespace {
constexpr const char* kPassword = "replica-set-secret";

std::string as_postgres(const std::string& command) {
    if (::geteuid() != 0) return command;
    return "runuser -u postgres -- " + command;
}
}  // namespace

PgReplicaSet::PgReplicaSet() {
    bin_ = require_postgres_bin();
    std::string templ =
        (std::filesystem::temp_directory_path() / "portcullis-pgrs-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = templ;
    std::ofstream(dir_ + "/pwfile") << kPassword << "\n";
    // pg_basebackup reads the password from here (never on a command line).
    std::ofstream(dir_ + "/pgpass") << "127.0.0.1:*:*:portcullis:" << kPassword << "\n";
    std::filesystem::permissions(
        dir_ + "/pgpass", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    if (::geteuid() == 0) run("chown -R postgres:postgres " + dir_);
    ports_[0] = free_port();
    ports_[1] = free_port();
    while (ports_[1] == ports_[0]) ports_[1] = free_port();

    const std::string primary = dir_ + "/primary";
    const std::string standby = dir_ + "/standby";
    run(as_postgres(bin_ + "/initdb -D " + primary + " -U portcullis --pwfile=" + dir_ +
                    "/pwfile --auth-local=trust --auth-host=scram-sha-256 -E UTF8 "
                    "--locale=C.UTF-8 >/dev/null"));
    const auto start = [&](const std::string& data, std::uint16_t port) {
        run(as_postgres(bin_ + "/pg_ctl -D " + data + " -l " + data + ".log -w -t 60 -o \"-p " +
                        std::to_string(port) + " -k " + dir_ +
                        " -c listen_addresses=127.0.0.1 -c fsync=off -c wal_level=replica "
                        "-c max_wal_senders=4 -c hot_standby=on\" start >/dev/null"));
    };
    start(primary, ports_[0]);
    running_[0] = true;
    run(as_postgres("env PGPASSFILE=" + dir_ + "/pgpass " + bin_ +
                    "/pg_basebackup -h 127.0.0.1 -p " + std::to_string(ports_[0]) +
                    " -U portcullis -D " + standby + " -R -X stream -c fast >/dev/null"));
    // The standby's own port (pg_basebackup copied the primary's settings, not its -o options).
    start(standby, ports_[1]);
    running_[1] = true;
    // From here on a commit waits for the standby: an acknowledged write survives the failover.
    query(ports_[0], "ALTER SYSTEM SET synchronous_standby_names = '*'");
    query(ports_[0], "SELECT pg_reload_conf()");
}

PgReplicaSet::~PgReplicaSet() {
    for (int i = 0; i < 2; ++i) {
        if (!running_[i]) continue;
        const std::string data = dir_ + (i == 0 ? "/primary" : "/standby");
        std::system(as_postgres(bin_ + "/pg_ctl -D " + data +
                                " -m immediate -w -t 30 stop "
                                ">/dev/null 2>&1")
                        .c_str());
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

void PgReplicaSet::run(const std::string& command) const {
    if (std::system(command.c_str()) != 0) throw std::runtime_error("command failed: " + command);
}

std::string PgReplicaSet::url(std::uint16_t port) const {
    return "postgresql://portcullis:" + std::string(kPassword) +
           "@127.0.0.1:" + std::to_string(port) + "/postgres";
}

std::string PgReplicaSet::multi_host_url() const {
    return "postgresql://portcullis:" + std::string(kPassword) +
           "@127.0.0.1:" + std::to_string(ports_[0]) + ",127.0.0.1:" + std::to_string(ports_[1]) +
           "/postgres?target_session_attrs=read-write";
}

void PgReplicaSet::kill_primary() {
    run(as_postgres(bin_ + "/pg_ctl -D " + dir_ +
                    "/primary -m immediate -w -t 30 stop >/dev/null"));
    running_[0] = false;
}

void PgReplicaSet::promote_standby() {
    run(as_postgres(bin_ + "/pg_ctl -D " + dir_ + "/standby -w -t 30 promote >/dev/null"));
}

void PgReplicaSet::set_primary_read_only(bool read_only) {
    query(ports_[0], std::string("ALTER SYSTEM SET default_transaction_read_only = ") +
                         (read_only ? "on" : "off"));
    query(ports_[0], "SELECT pg_reload_conf()");
}

std::vector<std::string> PgReplicaSet::query(std::uint16_t port, const std::string& sql) const {
    // The test's own sessions stay writable when the server is made read-only.
    const std::string own = url(port) + "?options=-c%20default_transaction_read_only%3Doff";
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(own.c_str()), &PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        throw std::runtime_error("cannot connect to port " + std::to_string(port) + ": " +
                                 PQerrorMessage(conn.get()));
    }
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
    const auto status = PQresultStatus(result.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        throw std::runtime_error("query failed: " +
                                 std::string(PQresultErrorMessage(result.get())));
    }
    std::vector<std::string> column;
    for (int row = 0; row < PQntuples(result.get()); ++row) {
        column.emplace_back(PQgetvalue(result.get(), row, 0));
    }
    return column;
}

}  // namespace portcullis::test
