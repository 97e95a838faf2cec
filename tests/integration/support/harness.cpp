// See harness.hpp.
#include "harness.hpp"

#include <cstdlib>

namespace portcullis::test {
namespace {

std::string require(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw MissingService(std::string(name) +
                             " is not set: the integration tests need the local stack. Start it "
                             "with `scripts/stack.sh start` and load its addresses with "
                             "`. .local/stack.env` (`make test` does both).");
    }
    return value;
}

}  // namespace

std::string require_postgres() {
    return require("PORTCULLIS_TEST_DATABASE_URL");
}

std::string require_postgres_admin() {
    return require("PORTCULLIS_TEST_PG_ADMIN_URL");
}

std::string require_postgres_bin() {
    return require("PORTCULLIS_TEST_PG_BIN");
}

std::string require_redis() {
    return require("PORTCULLIS_TEST_REDIS_URL");
}

SmtpSinkAddress require_smtp() {
    return SmtpSinkAddress{require("PORTCULLIS_TEST_SMTP_HOST"),
                           require("PORTCULLIS_TEST_SMTP_PORT"),
                           require("PORTCULLIS_TEST_MAILDIR")};
}

}  // namespace portcullis::test
