// The pipeline's error boundary: HttpError → its envelope, Unavailable → 503 with its code,
// anything else → a generic 500 (design section 3).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "db/result.hpp"
#include "http/error.hpp"
#include "http/pipeline.hpp"
#include "observability/logger.hpp"

namespace portcullis::http {
namespace {

Response run_with(Handler handler, std::vector<Middleware> chain = {}) {
    observability::Logger logger(observability::Level::silent);
    Pipeline pipeline(std::move(chain), std::move(handler), logger);
    Request request;
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(io, pipeline.run(request), boost::asio::use_future);
    io.run();
    return future.get();
}

TEST(Pipeline, HttpErrorBecomesItsEnvelope) {
    const auto r = run_with([](Request&) -> Awaitable<Response> {
        throw HttpError(409, "Email already registered", "EMAIL_TAKEN");
        co_return Response::empty(200);
    });
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.body, R"({"error":{"message":"Email already registered","code":"EMAIL_TAKEN"}})");
}

TEST(Pipeline, DatabaseUnavailableBecomes503WithItsCode) {
    const auto r = run_with([](Request&) -> Awaitable<Response> {
        throw db::DatabaseUnavailable("connection refused to host with password hunter2");
        co_return Response::empty(200);
    });
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.body,
              R"({"error":{"message":"Database unavailable","code":"DATABASE_UNAVAILABLE"}})");
}

TEST(Pipeline, OtherExceptionsAreAGeneric500) {
    const auto r = run_with([](Request&) -> Awaitable<Response> {
        throw std::runtime_error("secret internals");
        co_return Response::empty(200);
    });
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body, R"({"error":{"message":"Internal Server Error"}})");
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
        }});
    EXPECT_EQ(seen, 404);
    EXPECT_EQ(r.headers.get("X-Outer"), "1");
}

}  // namespace
}  // namespace portcullis::http
