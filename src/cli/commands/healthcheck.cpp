// `portcullis healthcheck`: GET /ready on the local port, exit 0 only on 200. The container
// image's HEALTHCHECK runs it, so the image needs no curl (contract 16.2's probe tool).
#include <CLI/CLI.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "cli/command_support.hpp"
#include "cli/commands/commands.hpp"

namespace portcullis::cli {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct HealthcheckArgs {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: PORT from the environment
    std::string path = "/ready";
    int timeout_ms = 3000;
};

// Answers of more than this are not a probe's business; /ready's body is a few dozen bytes.
constexpr std::uint64_t kBodyLimit = 64 * 1024;

asio::awaitable<int> probe(const HealthcheckArgs& args, std::uint16_t port) {
    auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::resolver resolver(executor);
    beast::tcp_stream stream(executor);
    stream.expires_after(std::chrono::milliseconds(args.timeout_ms));
    const auto endpoints =
        co_await resolver.async_resolve(args.host, std::to_string(port), asio::use_awaitable);
    co_await stream.async_connect(endpoints, asio::use_awaitable);

    http::request<http::empty_body> request(http::verb::get, args.path, 11);
    request.set(http::field::host, args.host + ":" + std::to_string(port));
    request.set(http::field::user_agent, "portcullis-healthcheck");
    request.set(http::field::connection, "close");
    co_await http::async_write(stream, request, asio::use_awaitable);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
    const auto& response = parser.get();
    if (response.result_int() == 200) {
        std::printf("healthy: GET %s answered 200\n", args.path.c_str());
        co_return 0;
    }
    std::fprintf(stderr, "unhealthy: GET %s answered %u %s\n", args.path.c_str(),
                 response.result_int(), response.body().c_str());
    co_return 1;
}

int healthcheck(const HealthcheckArgs& args) {
    std::uint16_t port = static_cast<std::uint16_t>(args.port);
    if (port == 0) {
        const auto environment = load_environment({.port = true}, ProblemStyle::text);
        if (!environment) return 1;
        port = environment->config.port;
    }
    asio::io_context io;
    int code = 1;
    asio::co_spawn(io, probe(args, port), [&](std::exception_ptr error, int result) {
        code = result;
        if (!error) return;
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "unhealthy: GET %s on %s:%u failed: %s\n", args.path.c_str(),
                         args.host.c_str(), static_cast<unsigned>(port), e.what());
        }
        code = 1;
    });
    io.run();
    return code;
}

}  // namespace

void add_healthcheck(CLI::App& app, Runner& chosen) {
    auto args = std::make_shared<HealthcheckArgs>();
    auto* cmd = app.add_subcommand(
        "healthcheck", "Probe the local server: GET /ready, exit 0 only when it answers 200");
    cmd->add_option("--host", args->host, "Address of the server")->capture_default_str();
    cmd->add_option("--port", args->port, "Port of the server (default: PORT, else 3000)")
        ->check(CLI::Range(1, 65535));
    cmd->add_option("--path", args->path, "Path to probe (/health for liveness)")
        ->capture_default_str();
    cmd->add_option("--timeout-ms", args->timeout_ms, "Give up after this long")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->callback([&chosen, args] { chosen = [args] { return healthcheck(*args); }; });
}

}  // namespace portcullis::cli
