// The audit writer's queue (issue #16): recording never blocks and never throws; past the
// capacity events are dropped and counted, not queued. Storing batches is covered against a real
// database by tests/integration/audit_test.cpp.
#include "app/audit_writer.hpp"

#include <gtest/gtest.h>

#include "db/database.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"

namespace portcullis::app {
namespace {

TEST(AuditWriter, QueuesUpToItsCapacityThenDropsAndCounts) {
    // Never attached: nothing drains the queue and nothing connects.
    db::Database database(db::ConnectionSettings{}, db::PoolOptions{});
    observability::Logger logger(observability::Level::silent);
    observability::Registry registry;
    auto& written = registry.counter("test_audit_written_total", "written");
    auto& dropped = registry.counter("test_audit_dropped_total", "dropped", {"reason"});
    AuditWriter writer({.capacity = 3}, database, logger, written, dropped);
    for (int i = 0; i < 5; ++i) {
        auth::AuditEvent event;
        event.type = auth::AuditType::login_failed;
        event.email = "someone@example.com";
        writer.record(std::move(event));
    }
    EXPECT_EQ(writer.depth(), 3U);
    const std::string exposition = registry.scrape();
    EXPECT_NE(exposition.find(R"(test_audit_dropped_total{reason="queue_full"} 2)"),
              std::string::npos)
        << exposition;
    // A writer that never ran stops at once.
    writer.stop(std::chrono::milliseconds(100));
}

}  // namespace
}  // namespace portcullis::app
