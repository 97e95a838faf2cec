// See audit_store.hpp.
#include "db/audit_store.hpp"

#include <charconv>
#include <stdexcept>

#include "util/json_text.hpp"

namespace portcullis::db {
namespace {

// Rows keep the batch's order (ids follow the order events happened in on this process).
constexpr Statement kInsertEvents{"audit_insert_events",
                                  R"(INSERT INTO "AuditEvent"
         (type, "userId", email, "ipAddress", "userAgent", detail, "createdAt")
       SELECT e.value->>'type', COALESCE(e.value->>'userId', u.id), e.value->>'email',
              e.value->>'ip', e.value->>'ua',
              CASE WHEN json_typeof(e.value->'detail') = 'object'
                   THEN (e.value->'detail')::jsonb END,
              (e.value->>'at')::timestamp(3)
       FROM json_array_elements($1::json) WITH ORDINALITY AS e(value, n)
       LEFT JOIN "User" u ON e.value->>'userId' IS NULL AND u.email = e.value->>'email'
       ORDER BY e.n)"};

constexpr Statement kRecent{"audit_recent",
                            R"(SELECT id, type, "userId", email, "ipAddress", "userAgent",
              detail::text, "createdAt"
       FROM "AuditEvent" WHERE "userId" = $1
       ORDER BY "createdAt" DESC, id DESC LIMIT $2::int)"};

// The account's events (by its id) and those that name the e-mail without an account.
constexpr Statement kList{"audit_list",
                          R"(SELECT id, type, "userId", email, "ipAddress", "userAgent",
              detail::text, "createdAt"
       FROM "AuditEvent" e
       WHERE ($1::text IS NULL
              OR e.email = $1
              OR e."userId" = (SELECT id FROM "User" WHERE email = $1))
         AND ($2::timestamp(3) IS NULL OR e."createdAt" >= $2::timestamp(3))
         AND ($3::text IS NULL OR e.type = $3)
       ORDER BY e."createdAt" DESC, e.id DESC LIMIT $4::int)"};

void append_nullable(std::string& out, std::string_view value) {
    if (value.empty()) {
        out += "null";
    } else {
        util::append_json_string(out, value);
    }
}

// Headers may carry bytes Postgres' text refuses (NUL) or that read badly: control bytes become
// spaces. Invalid UTF-8 is replaced by the JSON writer.
std::string printable(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    }
    return out;
}

std::vector<auth::StoredAuditEvent> events_of(const Result& r) {
    std::vector<auth::StoredAuditEvent> events;
    events.reserve(static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) {
        auth::StoredAuditEvent event;
        const std::string_view id = r.get(row, 0);
        std::from_chars(id.data(), id.data() + id.size(), event.id);
        event.type = r.get(row, 1);
        event.user_id = r.get(row, 2);
        event.email = r.get(row, 3);
        event.ip = r.get(row, 4);
        event.user_agent = r.get(row, 5);
        event.detail_json = r.get(row, 6);
        const auto at = from_sql_timestamp(r.get(row, 7));
        if (!at) throw std::runtime_error("unreadable timestamp from the database");
        event.at = *at;
        events.push_back(std::move(event));
    }
    return events;
}

}  // namespace

std::string audit_events_json(std::span<const auth::AuditEvent> events) {
    std::string out = "[";
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto& event = events[i];
        if (i > 0) out += ',';
        out += "{\"type\":";
        util::append_json_string(out, auth::to_string(event.type));
        out += ",\"userId\":";
        append_nullable(out, event.user_id);
        out += ",\"email\":";
        append_nullable(out, event.email);
        out += ",\"ip\":";
        append_nullable(out, printable(event.ip));
        out += ",\"ua\":";
        append_nullable(out, printable(event.user_agent));
        out += ",\"detail\":";
        out += event.detail_json.empty() ? "null" : event.detail_json;
        out += ",\"at\":";
        util::append_json_string(out, to_sql_timestamp(event.at));
        out += '}';
    }
    out += ']';
    return out;
}

boost::asio::awaitable<void> insert_audit_events(Pool& pool,
                                                 std::span<const auth::AuditEvent> events) {
    if (events.empty()) co_return;
    const std::vector<Param> params{audit_events_json(events)};
    co_await pool.execute(kInsertEvents, params);
}

boost::asio::awaitable<std::vector<auth::StoredAuditEvent>> list_audit_events(
    Pool& pool, const AuditFilter& filter) {
    const std::vector<Param> params{filter.email,
                                    filter.since ? Param(to_sql_timestamp(*filter.since)) : Param(),
                                    filter.type, std::to_string(filter.limit)};
    const Result r = co_await pool.execute(kList, params);
    co_return events_of(r);
}

auth::Task<std::vector<auth::StoredAuditEvent>> PgAuditReader::recent(std::string_view user_id,
                                                                      int limit) {
    const std::vector<Param> params{std::string(user_id), std::to_string(limit)};
    const Result r = co_await database_.local().execute(kRecent, params);
    co_return events_of(r);
}

}  // namespace portcullis::db
