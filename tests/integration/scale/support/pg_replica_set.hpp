// A PostgreSQL 15 primary and a streaming standby made with `pg_basebackup` (issue #17, point 4),
// on loopback ports in a temporary folder, torn down by the destructor whatever happened: the
// managed-Postgres failover of a cloud provider, shrunk to one machine. Replication is synchronous
// (`synchronous_standby_names = '*'`), so a commit the primary acknowledged is on the standby.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace portcullis::test {

class PgReplicaSet {
public:
    PgReplicaSet();  // throws std::runtime_error when a step fails
    ~PgReplicaSet();
    PgReplicaSet(const PgReplicaSet&) = delete;
    PgReplicaSet& operator=(const PgReplicaSet&) = delete;

    std::uint16_t primary_port() const { return ports_[0]; }
    std::uint16_t standby_port() const { return ports_[1]; }
    // postgresql://portcullis:<pw>@127.0.0.1:<primary>,127.0.0.1:<standby>/postgres
    //   ?target_session_attrs=read-write
    std::string multi_host_url() const;
    // One server's URL (no target_session_attrs).
    std::string url(std::uint16_t port) const;

    // The primary dies at once (`pg_ctl stop -m immediate`: no checkpoint, connections cut).
    void kill_primary();
    // `pg_ctl promote -w`: the standby becomes a writable primary.
    void promote_standby();
    // Makes the running primary read-only for new transactions of every session (as a provider
    // does when its disk fills), or writable again.
    void set_primary_read_only(bool read_only);

    // Runs `sql` on `port` and returns the first column of every row; throws on error.
    std::vector<std::string> query(std::uint16_t port, const std::string& sql) const;

private:
    void run(const std::string& command) const;
    std::string dir_;
    std::string bin_;
    std::uint16_t ports_[2] = {0, 0};
    bool running_[2] = {false, false};
};

}  // namespace portcullis::test
