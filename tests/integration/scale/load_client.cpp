// `portcullis_load`: a bounded load of keep-alive connections against one address (a server or a
// balancer), for the scale tests and bench/chaos. Each connection is a thread with its own user
// and session doing a fixed mix of health checks, protected reads, refreshes and logins, and every
// request is counted by outcome, so a fault's cost is exact: a request that was sent and got no
// complete answer is "lost"; a connection that could not be opened is a connect error (nothing was
// sent). The summary is one JSON object on stdout (or --out), with a timeline of outcomes.
//
// SIGTERM or SIGINT ends the run early (the summary is still written).
//
//   portcullis_load --port P [--host 127.0.0.1] [--connections 8] [--duration-ms 5000]
//                   [--mix health=1,read=4,refresh=2,login=1] [--think-ms 0] [--timeline-ms 100]
//                   [--timeout-ms 10000] [--password ...] [--out FILE]
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"

namespace {
using portcullis::test::Connection;

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) {
    g_stop = true;
}
using portcullis::test::HttpResponse;
using Clock = std::chrono::steady_clock;
namespace json = boost::json;

enum class Op { health, read, refresh, login };
constexpr const char* kOpNames[] = {"health", "read", "refresh", "login"};

struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    int connections = 8;
    std::chrono::milliseconds duration{5000};
    std::chrono::milliseconds think{0};
    std::chrono::milliseconds timeline{100};
    std::chrono::milliseconds timeout{10000};
    int weights[4] = {1, 4, 2, 1};
    std::string password = "Load-test-password-9182";
    std::string out;
};

// Outcomes of one timeline bucket (and of the whole run).
struct Tally {
    std::int64_t ok = 0;
    std::int64_t lost = 0;                   // sent, then closed or reset before a complete answer
    std::int64_t timeouts = 0;               // sent, no answer within --timeout-ms
    std::int64_t connect_errors = 0;         // nothing sent: the connection could not be opened
    std::map<int, std::int64_t> unexpected;  // answered with a status the op does not expect

    std::int64_t failed() const {
        std::int64_t n = lost + timeouts;
        for (const auto& [status, count] : unexpected) n += count;
        return n;
    }
    void add(const Tally& o) {
        ok += o.ok;
        lost += o.lost;
        timeouts += o.timeouts;
        connect_errors += o.connect_errors;
        for (const auto& [status, count] : o.unexpected) unexpected[status] += count;
    }
};

struct Shared {
    std::mutex mutex;
    Tally total;
    Tally per_op[4];
    std::map<std::int64_t, Tally> timeline;  // bucket index → tally
    std::vector<double> latencies_ms;
    std::map<std::string, std::int64_t> failure_samples;  // first few error texts, counted
    Clock::time_point start;
};

struct Session {
    std::string email;
    std::string user_id;
    std::string access;
    std::string refresh;
};

std::string base64url_decode(std::string_view in) {
    std::string out;
    int bits = 0;
    unsigned value = 0;
    for (char c : in) {
        int v = -1;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        if (c >= '0' && c <= '9') v = c - '0' + 52;
        if (c == '-') v = 62;
        if (c == '_') v = 63;
        if (v < 0) break;
        value = (value << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((value >> bits) & 0xff));
        }
    }
    return out;
}

bool take_tokens(Session& session, const HttpResponse& response) {
    boost::system::error_code ec;
    const auto body = json::parse(response.body, ec);
    if (ec || !body.is_object()) return false;
    const auto* access = body.as_object().if_contains("accessToken");
    const auto* refresh = body.as_object().if_contains("refreshToken");
    if (access == nullptr || refresh == nullptr) return false;
    session.access = access->as_string().c_str();
    session.refresh = refresh->as_string().c_str();
    const auto first = session.access.find('.');
    const auto second = session.access.find('.', first + 1);
    const auto claims = json::parse(
        base64url_decode(std::string_view(session.access).substr(first + 1, second - first - 1)),
        ec);
    if (!ec && claims.is_object()) {
        for (const char* name : {"sub", "userId"}) {
            const auto* id = claims.as_object().if_contains(name);
            if (id != nullptr && id->is_string()) session.user_id = id->as_string().c_str();
        }
    }
    return true;
}

std::string request_text(Op op, const Session& s, const Options& o) {
    portcullis::test::Request r;
    r.headers.emplace_back("Host", "portcullis");
    switch (op) {
        case Op::health:
            r.path = "/health";
            break;
        case Op::read:
            r.path = "/protected/users/" + s.user_id;
            r.headers.emplace_back("Authorization", "Bearer " + s.access);
            break;
        case Op::refresh:
            r.method = "POST";
            r.path = "/auth/refresh";
            r.headers.emplace_back("Content-Type", "application/json");
            r.body = R"({"refreshToken":")" + s.refresh + "\"}";
            break;
        case Op::login:
            r.method = "POST";
            r.path = "/auth/login";
            r.headers.emplace_back("Content-Type", "application/json");
            r.body = R"({"email":")" + s.email + R"(","password":")" + o.password + "\"}";
            break;
    }
    return portcullis::test::serialize(r);
}

// One user's worker: registers (retrying until the deadline), then runs the mix.
void worker(int index, const std::string& run_id, const Options& o, Shared& shared,
            Clock::time_point deadline) {
    Session session;
    session.email = "load-" + run_id + "-" + std::to_string(index) + "@example.com";
    std::vector<Op> cycle;
    for (int op = 0; op < 4; ++op) {
        for (int i = 0; i < o.weights[op]; ++i) cycle.push_back(static_cast<Op>(op));
    }
    const bool needs_user = o.weights[1] + o.weights[2] + o.weights[3] > 0;
    std::unique_ptr<Connection> connection;
    // Registration is set-up, not load: retried until it works (or the run ends).
    while (needs_user && session.access.empty() && Clock::now() < deadline && !g_stop) {
        try {
            const auto r = portcullis::test::post_json(
                o.port, "/auth/register",
                R"({"email":")" + session.email + R"(","password":")" + o.password + "\"}");
            if (r.status == 201 && take_tokens(session, r)) break;
            if (r.status == 409) {
                const auto login = portcullis::test::post_json(
                    o.port, "/auth/login",
                    R"({"email":")" + session.email + R"(","password":")" + o.password + "\"}");
                if (login.status == 200 && take_tokens(session, login)) break;
            }
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }

    std::size_t step = static_cast<std::size_t>(index) % std::max<std::size_t>(1, cycle.size());
    bool relogin = false;
    while (Clock::now() < deadline && !cycle.empty() && !g_stop) {
        // A session that a failed refresh may have rotated is replaced at its next refresh slot,
        // so the rest of the mix (health checks, reads) keeps its share during an outage.
        Op op = cycle[step++ % cycle.size()];
        if (op == Op::refresh && relogin) op = Op::login;
        Tally t;
        std::string failure;
        const auto sent_at = Clock::now();
        double latency = -1;
        if (!connection) {
            try {
                connection = std::make_unique<Connection>(o.host, o.port);
            } catch (const std::exception& e) {
                t.connect_errors = 1;
                failure = e.what();
            }
        }
        if (connection) {
            bool sent = false;
            try {
                connection->send(request_text(op, session, o));
                sent = true;
                const auto r = connection->read_response(false, o.timeout);
                latency = std::chrono::duration<double, std::milli>(Clock::now() - sent_at).count();
                const bool expected = r.status == 200;
                if (expected) {
                    ++t.ok;
                    if (op == Op::refresh || op == Op::login) take_tokens(session, r);
                    if (op == Op::login) relogin = false;
                } else {
                    ++t.unexpected[r.status];
                    failure = kOpNames[static_cast<int>(op)] + std::string(" answered ") +
                              std::to_string(r.status) + ": " + r.body.substr(0, 120);
                    // A refresh that failed may have rotated the token: start a new session.
                    if (op == Op::refresh) relogin = true;
                }
                const auto close = r.header("connection");
                if (close && *close == "close") connection.reset();
            } catch (const std::exception& e) {
                const std::string what = e.what();
                if (what.find("timed out") != std::string::npos) {
                    ++t.timeouts;
                } else {
                    ++t.lost;
                }
                failure = std::string(sent ? "sent, " : "send failed, ") +
                          kOpNames[static_cast<int>(op)] + ": " + what;
                connection.reset();
                if (op == Op::refresh) relogin = true;
            }
        }
        {
            std::lock_guard lock(shared.mutex);
            shared.total.add(t);
            shared.per_op[static_cast<int>(op)].add(t);
            const auto bucket = (sent_at - shared.start) / o.timeline;
            shared.timeline[bucket].add(t);
            if (latency >= 0) shared.latencies_ms.push_back(latency);
            if (!failure.empty()) {
                auto& n = shared.failure_samples[failure.substr(0, 160)];
                ++n;
                if (shared.failure_samples.size() > 20) {
                    // Keep the map small: drop the newest singleton.
                    for (auto it = shared.failure_samples.begin();
                         it != shared.failure_samples.end(); ++it) {
                        if (it->second == 1 && it->first != failure.substr(0, 160)) {
                            shared.failure_samples.erase(it);
                            break;
                        }
                    }
                }
            }
        }
        if (t.connect_errors > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (o.think.count() > 0) std::this_thread::sleep_for(o.think);
    }
}

json::object tally_json(const Tally& t) {
    json::object out;
    out["ok"] = t.ok;
    out["failed"] = t.failed();
    out["lost"] = t.lost;
    out["timeouts"] = t.timeouts;
    out["connect_errors"] = t.connect_errors;
    json::object statuses;
    for (const auto& [status, count] : t.unexpected) statuses[std::to_string(status)] = count;
    out["unexpected_statuses"] = std::move(statuses);
    return out;
}

bool parse_args(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) return false;
        const std::string value = argv[++i];
        if (arg == "--host") {
            o.host = value;
        } else if (arg == "--port") {
            o.port = static_cast<std::uint16_t>(std::stoi(value));
        } else if (arg == "--connections") {
            o.connections = std::stoi(value);
        } else if (arg == "--duration-ms") {
            o.duration = std::chrono::milliseconds(std::stoll(value));
        } else if (arg == "--think-ms") {
            o.think = std::chrono::milliseconds(std::stoll(value));
        } else if (arg == "--timeline-ms") {
            o.timeline = std::chrono::milliseconds(std::max(1LL, std::stoll(value)));
        } else if (arg == "--timeout-ms") {
            o.timeout = std::chrono::milliseconds(std::stoll(value));
        } else if (arg == "--password") {
            o.password = value;
        } else if (arg == "--out") {
            o.out = value;
        } else if (arg == "--mix") {
            std::fill(std::begin(o.weights), std::end(o.weights), 0);
            std::size_t at = 0;
            while (at < value.size()) {
                auto end = value.find(',', at);
                if (end == std::string::npos) end = value.size();
                const std::string item = value.substr(at, end - at);
                const auto eq = item.find('=');
                if (eq == std::string::npos) return false;
                const std::string name = item.substr(0, eq);
                bool known = false;
                for (int op = 0; op < 4; ++op) {
                    if (name == kOpNames[op]) {
                        o.weights[op] = std::stoi(item.substr(eq + 1));
                        known = true;
                    }
                }
                if (!known) return false;
                at = end + 1;
            }
        } else {
            return false;
        }
    }
    return o.port != 0 && o.connections > 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    try {
        if (!parse_args(argc, argv, o)) {
            std::cerr << "usage: portcullis_load --port P [--host H] [--connections N] "
                         "[--duration-ms D] [--mix health=1,read=4,refresh=2,login=1] "
                         "[--think-ms T] [--timeline-ms B] [--timeout-ms T] [--password P] "
                         "[--out FILE]\n";
            return 2;
        }
    } catch (const std::exception&) {
        std::cerr << "portcullis_load: bad argument value\n";
        return 2;
    }
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGINT, on_stop_signal);
    std::random_device random;
    const std::string run_id = std::to_string(random()) + std::to_string(random() % 1000);

    Shared shared;
    shared.start = Clock::now();
    const auto deadline = shared.start + o.duration;
    std::vector<std::thread> threads;
    for (int i = 0; i < o.connections; ++i) {
        threads.emplace_back(worker, i, std::cref(run_id), std::cref(o), std::ref(shared),
                             deadline);
    }
    for (auto& t : threads) t.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - shared.start).count();

    json::object out;
    out["elapsed_s"] = elapsed;
    out["requests"] = shared.total.ok + shared.total.failed();
    out["total"] = tally_json(shared.total);
    json::object ops;
    for (int op = 0; op < 4; ++op) ops[kOpNames[op]] = tally_json(shared.per_op[op]);
    out["by_op"] = std::move(ops);
    auto& lat = shared.latencies_ms;
    std::sort(lat.begin(), lat.end());
    const auto pct = [&](double p) {
        if (lat.empty()) return 0.0;
        return lat[std::min(lat.size() - 1,
                            static_cast<std::size_t>(p * static_cast<double>(lat.size())))];
    };
    out["latency_ms"] = {
        {"p50", pct(0.50)}, {"p99", pct(0.99)}, {"max", lat.empty() ? 0.0 : lat.back()}};
    json::array timeline;
    for (const auto& [bucket, t] : shared.timeline) {
        json::object row = tally_json(t);
        row["t_ms"] = bucket * o.timeline.count();
        timeline.push_back(std::move(row));
    }
    out["timeline_ms"] = o.timeline.count();
    out["timeline"] = std::move(timeline);
    json::object samples;
    for (const auto& [text, count] : shared.failure_samples) samples[text] = count;
    out["failure_samples"] = std::move(samples);

    const std::string text = json::serialize(out);
    if (o.out.empty()) {
        std::cout << text << "\n";
    } else {
        std::ofstream(o.out) << text << "\n";
    }
    return 0;
}
