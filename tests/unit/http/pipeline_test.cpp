// The pipeline's error boundary: HttpError → its envelope, Unavailable → 503 with its code,
// anything else → a generic 500 (design section 3); what each one logs, read from a captured log.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "db/result.hpp"
#include "http/error.hpp"
#include "http/pipeline.hpp"
#include "observability/logger.hpp"

namespace portcullis::http {
namespace {

// A response and everything the pipeline logged while producing it.
struct Outcome {
    Response response;
    std::string log;
};

Outcome run_with(Handler handler, std::vector<Middleware> chain = {}) {
    // A file rather than a pipe: nothing reads while the pipeline writes.
    std::FILE* file = std::tmpfile();
    if (file == nullptr) throw std::runtime_error("tmpfile failed");
    observability::Logger logger(observability::Level::trace, ::fileno(file));
    Pipeline pipeline(std::move(chain), std::move(handler), logger);
    Request request;
    request.id = "req-under-test";
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(io, pipeline.run(request), boost::asio::use_future);
    io.run();
    Outcome outcome{future.get(), {}};
    std::rewind(file);
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) {
        outcome.log.append(buffer, n);
    }
    std::fclose(file);
    return outcome;
}

// The single line of `log`, parsed; fails the test when there is not exactly one.
boost::json::object only_line(const std::string& log) {
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
    return boost::json::parse(log.substr(0, log.find('\n'))).as_object();
}

TEST(Pipeline, HttpErrorBecomesItsEnvelope) {
    const auto [r, log] = run_with([](Request&) -> Awaitable<Response> {
        throw HttpError(409, "Email already registered", "EMAIL_TAKEN");
        co_return Response::empty(200);
    });
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.body, R"({"error":{"message":"Email already registered","code":"EMAIL_TAKEN"}})");
    EXPECT_EQ(log, "") << "an expected outcome of input is not an incident";
}

// The detail of an Unavailable is for operators: it is logged with the request id and never
// reaches the client. (Keeping secrets out of details is the thrower's job: see the connect
// deadline test in tests/integration/db/pool_test.cpp and AuthOutage in auth_test.cpp.)
TEST(Pipeline, DatabaseUnavailableBecomes503WithItsCodeAndLogsItsDetail) {
    const std::string detail = "connection to server at \"127.0.0.1\", port 5432 failed";
    const auto [r, log] = run_with([&detail](Request&) -> Awaitable<Response> {
        throw db::DatabaseUnavailable(detail);
        co_return Response::empty(200);
    });
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.body,
              R"({"error":{"message":"Database unavailable","code":"DATABASE_UNAVAILABLE"}})");
    const auto line = only_line(log);
    EXPECT_EQ(line.at("level"), "warn");
    EXPECT_EQ(line.at("msg"), "Dependency unavailable");
    EXPECT_EQ(line.at("reqId"), "req-under-test");
    EXPECT_EQ(line.at("code"), "DATABASE_UNAVAILABLE");
    EXPECT_EQ(line.at("err").at("message"), detail.c_str());
}

TEST(Pipeline, OtherExceptionsAreAGeneric500AndLoggedAsErrors) {
    const auto [r, log] = run_with([](Request&) -> Awaitable<Response> {
        throw std::runtime_error("internal detail: index 7 out of range");
        co_return Response::empty(200);
    });
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body, R"({"error":{"message":"Internal Server Error"}})");
    const auto line = only_line(log);
    EXPECT_EQ(line.at("level"), "error");
    EXPECT_EQ(line.at("msg"), "Unhandled error while handling request");
    EXPECT_EQ(line.at("reqId"), "req-under-test");
    EXPECT_EQ(line.at("err").at("message"), "internal detail: index 7 out of range");
}

TEST(Pipeline, OuterMiddlewaresSeeTheErrorResponse) {
    int seen = 0;
    const auto r = run_with(
                       [](Request&) -> Awaitable<Response> {
                           throw HttpError(404, "Not Found");
                           co_return Response::empty(200);
                       },
                       {[&seen](Request& request, Next next) -> Awaitable<Response> {
                           Response response = co_await next(request);
                           seen = response.status;
                           response.headers.set_static("X-Outer", "1");
                           co_return response;
                       }})
                       .response;
    EXPECT_EQ(seen, 404);
    EXPECT_EQ(r.headers.get("X-Outer"), "1");
}

}  // namespace
}  // namespace portcullis::http
