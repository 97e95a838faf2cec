// Test fixtures for driving route tables without a database: auth ports that refuse every call
// (a test overrides the ones its handler should reach) and a runner for one coroutine.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <stdexcept>

#include "auth/ports.hpp"
#include "http/pipeline.hpp"

namespace portcullis::test {

using auth::Task;

// Ports whose every call fails the test: the route tables only store the service, and a test that
// drives a handler overrides the calls it expects.
struct UnusedPorts : auth::UserStore, auth::SessionStore, auth::AttemptCounter {
    [[noreturn]] static void unused() { throw std::logic_error("not used by these tests"); }
    Task<std::optional<auth::User>> find_by_email(std::string_view) override { unused(); }
    Task<std::optional<auth::User>> find_by_id(std::string_view) override { unused(); }
    Task<std::optional<auth::User>> create(std::string_view, std::string_view, std::string_view,
                                           bool, const std::optional<auth::NewSession>&,
                                           auth::TimePoint) override {
        unused();
    }
    Task<void> create(std::string_view, const auth::NewSession&, auth::TimePoint) override {
        unused();
    }
    Task<auth::Principal> load_principal(std::string_view, std::string_view) override { unused(); }
    Task<auth::RotateResult> rotate(std::string_view, std::string_view, std::string_view,
                                    auth::TimePoint) override {
        unused();
    }
    Task<bool> revoke_if_current(std::string_view, std::string_view, auth::TimePoint) override {
        unused();
    }
    Task<void> revoke_all(std::string_view, auth::TimePoint) override { unused(); }
    Task<std::vector<auth::SessionSummary>> list(std::string_view) override { unused(); }
    Task<bool> is_locked(std::string_view, std::string_view, auth::TimePoint) override { unused(); }
    Task<bool> record_failure(std::string_view, std::string_view, std::optional<std::string_view>,
                              auth::TimePoint) override {
        unused();
    }
    Task<void> clear(std::string_view, std::string_view) override { unused(); }
    Task<void> clear_email(std::string_view) override { unused(); }
};

template <typename T>
T run(http::Awaitable<T> task) {
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
    io.run();
    return future.get();
}

}  // namespace portcullis::test
