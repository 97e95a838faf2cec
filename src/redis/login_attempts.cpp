// See login_attempts.hpp. Times are milliseconds since the epoch from the caller's clock, so the
// rules match the Postgres counter exactly; the key TTL only garbage-collects.
#include "redis/login_attempts.hpp"

#include <chrono>

namespace portcullis::redis {
namespace {

// KEYS: the record, the email's index; ARGV: now, window ms, ip. Returns 1 while locked; forgets
// an expired lock or an attempt older than the window.
const Script kIsLocked(R"(
local locked = redis.call('HGET', KEYS[1], 'lockedUntil')
local now = tonumber(ARGV[1])
if locked then
  if tonumber(locked) > now then return 1 end
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[3])
  return 0
end
local last = redis.call('HGET', KEYS[1], 'lastFailedAt')
if last and now - tonumber(last) > tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[3])
end
return 0
)");

// KEYS: the record, the email's index; ARGV: now, max attempts, window ms, lockout ms, user id
// ('' when unknown), ip. Returns 1 when this failure set the lock. The index (the set of the
// email's addresses) outlives every record it names, so clearing an email needs no SCAN.
const Script kRecordFailure(R"(
local now = tonumber(ARGV[1])
local row = redis.call('HMGET', KEYS[1], 'failCount', 'firstFailedAt', 'lastFailedAt', 'lockedUntil', 'userId')
local count = 1
local first = now
if row[1] and not row[4] and row[3] and now - tonumber(row[3]) <= tonumber(ARGV[3]) then
  count = tonumber(row[1]) + 1
  first = tonumber(row[2]) or now
end
local user = row[5] or ARGV[5]
redis.call('SADD', KEYS[2], ARGV[6])
redis.call('PEXPIRE', KEYS[2], math.max(tonumber(ARGV[3]), tonumber(ARGV[4])))
redis.call('HSET', KEYS[1], 'failCount', count, 'firstFailedAt', first, 'lastFailedAt', now)
if user ~= '' then redis.call('HSET', KEYS[1], 'userId', user) end
if count >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'lockedUntil', now + tonumber(ARGV[4]))
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
  return 1
end
redis.call('HDEL', KEYS[1], 'lockedUntil')
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 0
)");

// KEYS: the record, the email's index; ARGV: ip.
const Script kClear(R"(
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 0
)");

// KEYS: the email's index; ARGV: the records' common prefix `login_attempt:<email>:`.
const Script kClearEmail(R"(
local ips = redis.call('SMEMBERS', KEYS[1])
for _, ip in ipairs(ips) do redis.call('DEL', ARGV[1] .. ip) end
redis.call('DEL', KEYS[1])
return #ips
)");

std::string millis(auth::TimePoint t) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

template <typename D>
std::string millis_of(D d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

std::int64_t integer_of(const Reply& reply) {
    if (reply.type != Reply::Type::integer) {
        throw Unavailable("unexpected Redis reply to a login-attempt script: " + reply.text);
    }
    return reply.integer;
}

}  // namespace

namespace {
// The email as a hash tag's content: `}` (which would end the tag, or leave it empty) and `%` are
// percent-encoded, so the tag is the whole email and no two emails share it.
std::string tag_of(std::string_view email) {
    std::string out;
    out.reserve(email.size());
    for (const char c : email) {
        if (c == '}') {
            out += "%7D";
        } else if (c == '%') {
            out += "%25";
        } else {
            out += c;
        }
    }
    return out;
}
}  // namespace

// The email in braces is a Redis Cluster hash tag: a record and its index hash to one slot, so
// every script keeps its keys on one node.
std::string login_attempt_key(std::string_view email, std::string_view ip,
                              std::string_view prefix) {
    std::string key = login_attempt_index_key(email, prefix);
    key += ':';
    key += ip;
    return key;
}

std::string login_attempt_index_key(std::string_view email, std::string_view prefix) {
    std::string key(prefix);
    key += '{';
    key += tag_of(email);
    key += '}';
    return key;
}

RedisAttemptCounter::RedisAttemptCounter(Connections& connections, auth::LockoutPolicy policy,
                                         std::string_view prefix)
    : connections_(&connections), policy_(policy), prefix_(prefix) {}

RedisAttemptCounter::RedisAttemptCounter(Commands& client, auth::LockoutPolicy policy,
                                         std::string_view prefix)
    : client_(&client), policy_(policy), prefix_(prefix) {}

Commands& RedisAttemptCounter::client() const {
    return client_ != nullptr ? *client_ : connections_->local();
}

auth::Task<bool> RedisAttemptCounter::is_locked(std::string_view email, std::string_view ip,
                                                auth::TimePoint now) {
    const std::vector<std::string> keys{login_attempt_key(email, ip, prefix_),
                                        login_attempt_index_key(email, prefix_)};
    const std::vector<std::string> args{millis(now), millis_of(policy_.window), std::string(ip)};
    const Reply reply = co_await client().run_script(kIsLocked, keys, args);
    co_return integer_of(reply) == 1;
}

auth::Task<bool> RedisAttemptCounter::record_failure(std::string_view email, std::string_view ip,
                                                     std::optional<std::string_view> user_id,
                                                     auth::TimePoint now) {
    const std::vector<std::string> keys{login_attempt_key(email, ip, prefix_),
                                        login_attempt_index_key(email, prefix_)};
    const std::vector<std::string> args{millis(now),
                                        std::to_string(policy_.max_attempts),
                                        millis_of(policy_.window),
                                        millis_of(policy_.lockout),
                                        std::string(user_id.value_or(std::string_view{})),
                                        std::string(ip)};
    const Reply reply = co_await client().run_script(kRecordFailure, keys, args);
    co_return integer_of(reply) == 1;
}

auth::Task<void> RedisAttemptCounter::clear(std::string_view email, std::string_view ip) {
    const std::vector<std::string> keys{login_attempt_key(email, ip, prefix_),
                                        login_attempt_index_key(email, prefix_)};
    const std::vector<std::string> args{std::string(ip)};
    const Reply reply = co_await client().run_script(kClear, keys, args);
    integer_of(reply);
}

auth::Task<void> RedisAttemptCounter::clear_email(std::string_view email) {
    const std::vector<std::string> keys{login_attempt_index_key(email, prefix_)};
    const std::vector<std::string> args{login_attempt_key(email, "", prefix_)};
    const Reply reply = co_await client().run_script(kClearEmail, keys, args);
    integer_of(reply);
}

}  // namespace portcullis::redis
