// The services of the local stack, as `scripts/stack.sh start` exports them (.local/stack.env).
// Every service a test needs is started by the project's own scripts, so a missing variable is a
// broken set-up, never a reason to skip: each require_*() throws MissingService, which fails the
// test with the variable's name and how to start the stack. No fallback address is ever guessed.
#pragma once

#include <stdexcept>
#include <string>

namespace portcullis::test {

class MissingService : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// PORTCULLIS_TEST_DATABASE_URL: the stack's application database.
std::string require_postgres();
// PORTCULLIS_TEST_PG_ADMIN_URL: the same cluster's `postgres` database, for CREATE/DROP DATABASE.
std::string require_postgres_admin();
// PORTCULLIS_TEST_PG_BIN: PostgreSQL 15's bin folder (initdb, pg_ctl, pg_dump).
std::string require_postgres_bin();
// PORTCULLIS_TEST_REDIS_URL: the stack's Redis (password included).
std::string require_redis();

struct SmtpSinkAddress {
    std::string host;     // PORTCULLIS_TEST_SMTP_HOST
    std::string port;     // PORTCULLIS_TEST_SMTP_PORT
    std::string maildir;  // PORTCULLIS_TEST_MAILDIR: where the sink stores what it receives
};
// The stack's SMTP sink (aiosmtpd writing a Maildir).
SmtpSinkAddress require_smtp();

}  // namespace portcullis::test
