// See document.hpp. The fixed parts (info, tags, security schemes, component schemas) are one JSON
// text below; everything per route comes from its Operation and the validation schemas.
#include "openapi/document.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "util/build_info.hpp"

namespace portcullis::openapi {
namespace {

// Everything in the document that does not come from a route. Component schemas describe the
// bodies the handlers write (routes/*.cpp); the integration tests compare real bodies with them.
constexpr std::string_view kBase = R"json({
"openapi":"3.1.0",
"info":{
  "title":"Starter Express Prisma JWT",
  "summary":"Authentication API: accounts, sessions, JWT access and rotating refresh tokens.",
  "description":"Generated at start from the routes the server actually serves and the same schemas that validate request bodies, so the rules shown are the rules applied.\n\nVersioning: the API is served under `/`; gateways should mount it under `/v1` for stable clients. Breaking changes go to a new `/v{n}` prefix; additions (new routes, new optional fields, new error codes) do not.\n\nErrors use one envelope, `{\"error\":{\"message\":...,\"code\":...}}`; `details` (validation issues) is left out in production. A path or method the API does not serve answers 404 `NOT_FOUND`; a connection over the server's connection limits is answered 503 `OVERLOADED` before its request is read.",
  "contact":{"name":"Platform Team"},
  "license":{"name":"MIT","identifier":"MIT"}
},
"servers":[
  {"url":"/","description":"Default base path (v1)."},
  {"url":"/v1","description":"Recommended reverse-proxy mount for stable clients."}
],
"tags":[
  {"name":"Operational","description":"Liveness, readiness, build metadata and this document."},
  {"name":"Metrics","description":"Prometheus metrics behind the configured guard."},
  {"name":"Auth","description":"Registration, login, token refresh, logout, e-mail verification and password reset."},
  {"name":"Sessions","description":"The caller's sessions (Bearer access token)."},
  {"name":"RBAC","description":"Routes that check the caller's role or ownership."},
  {"name":"Account","description":"The caller's account security: password change, multi-factor authentication (TOTP and recovery codes) and security events."}
],
"x-tagGroups":[
  {"name":"Platform","tags":["Operational","Metrics"]},
  {"name":"Identity","tags":["Auth","Sessions","RBAC","Account"]}
],
"paths":{},
"webhooks":{},
"components":{
  "securitySchemes":{
    "BearerAuth":{"type":"http","scheme":"bearer","bearerFormat":"JWT","description":"An access token from login, register or refresh: `Authorization: Bearer <token>`."},
    "MetricsSecret":{"type":"apiKey","in":"header","name":"x-metrics-secret","description":"The shared secret of `METRICS_GUARD=secret`."}
  },
  "headers":{
    "RetryAfter":{"description":"Seconds until the limiter's window resets.","schema":{"type":"integer","minimum":0}},
    "RateLimitLimit":{"description":"Requests allowed in the window.","schema":{"type":"integer","minimum":1}},
    "RateLimitRemaining":{"description":"Requests left in the window.","schema":{"type":"integer","minimum":0}},
    "RateLimitReset":{"description":"Seconds until the window resets.","schema":{"type":"integer","minimum":0}},
    "RateLimitPolicy":{"description":"`<limit>;w=<window seconds>`.","schema":{"type":"string"}}
  },
  "schemas":{
    "Error":{"type":"object","required":["message"],"properties":{
      "message":{"type":"string"},
      "code":{"type":"string","description":"Stable machine-readable code."},
      "details":{"description":"Validation issues (zod-shaped), outside production only."}}},
    "ErrorResponse":{"type":"object","required":["error"],"properties":{
      "error":{"$ref":"#/components/schemas/Error"},
      "mfaToken":{"type":"string","minLength":20,"description":"Only with MFA_REQUIRED: the single-use token for POST /auth/login/mfa (5 minutes)."}}},
    "StatusOk":{"type":"object","required":["status"],"properties":{"status":{"type":"string","enum":["ok"]}}},
    "StatusReady":{"type":"object","required":["status"],"properties":{"status":{"type":"string","enum":["ready"]}}},
    "VersionResponse":{"type":"object","required":["version","gitSha","buildTime"],"properties":{
      "version":{"type":"string","examples":["1.0.0"]},
      "gitSha":{"type":"string","description":"Short git SHA of the build, or `unknown`."},
      "buildTime":{"type":"string","format":"date-time"}}},
    "JsonWebKeySet":{"type":"object","required":["keys"],"properties":{
      "keys":{"type":"array","items":{"type":"object","required":["kty","crv","x","kid"],"properties":{
        "kty":{"type":"string","enum":["OKP"]},"crv":{"type":"string","enum":["Ed25519"]},
        "x":{"type":"string","description":"The public key, base64url."},
        "kid":{"type":"string","description":"RFC 7638 thumbprint; access tokens name it in their header."},
        "alg":{"type":"string","enum":["EdDSA"]},"use":{"type":"string","enum":["sig"]}}}}}},
    "TokenPair":{"type":"object","required":["accessToken","refreshToken"],"properties":{
      "accessToken":{"type":"string","minLength":20},
      "refreshToken":{"type":"string","minLength":20}}},
    "RegisterResponse":{"type":"object","required":["emailVerificationRequired"],"properties":{
      "emailVerificationRequired":{"type":"boolean"},
      "accessToken":{"type":"string","minLength":20,"description":"Only when verification is not required."},
      "refreshToken":{"type":"string","minLength":20,"description":"Only when verification is not required."}}},
    "AcceptedResponse":{"type":"object","required":["status"],"properties":{"status":{"type":"string","enum":["ok"]}}},
    "Role":{"type":"string","enum":["USER","ADMIN"]},
    "SessionSummary":{"type":"object","required":["id","createdAt","updatedAt","valid","current"],"properties":{
      "id":{"type":"string","format":"uuid"},
      "createdAt":{"type":"string","format":"date-time"},
      "updatedAt":{"type":"string","format":"date-time"},
      "valid":{"type":"boolean"},
      "current":{"type":"boolean","description":"The session of the access token used."}}},
    "SessionsResponse":{"type":"object","required":["sessions","count"],"properties":{
      "sessions":{"type":"array","items":{"$ref":"#/components/schemas/SessionSummary"}},
      "count":{"type":"integer","minimum":0}}},
    "UserSummary":{"type":"object","required":["id","email","role"],"properties":{
      "id":{"type":"string","format":"uuid"},
      "email":{"type":"string","format":"email"},
      "role":{"$ref":"#/components/schemas/Role"}}},
    "ProtectedUserResponse":{"type":"object","required":["user","owner"],"properties":{
      "user":{"$ref":"#/components/schemas/UserSummary"},
      "owner":{"type":"boolean","description":"The caller is the user."}}},
    "TotpSetupResponse":{"type":"object","required":["secret","otpauthUri","qrCodeSvg"],"properties":{
      "secret":{"type":"string","description":"The TOTP secret in base32, for manual entry."},
      "otpauthUri":{"type":"string","description":"`otpauth://totp/...` (SHA1, 6 digits, 30 s), what authenticator apps scan."},
      "qrCodeSvg":{"type":"string","description":"The URI as a QR code, an SVG document."}}},
    "RecoveryCodesResponse":{"type":"object","required":["recoveryCodes"],"properties":{
      "recoveryCodes":{"type":"array","minItems":10,"maxItems":10,"items":{"type":"string","examples":["4k7m-9q2x-hw3c-ta8p"]},"description":"Single-use codes, shown once."}}},
    "AuditEvent":{"type":"object","required":["id","type","createdAt","ipAddress","userAgent","detail"],"properties":{
      "id":{"type":"integer"},
      "type":{"type":"string","examples":["login.succeeded"],"description":"user.registered, login.succeeded, login.failed, login.locked, login.mfa_required, mfa.failed, mfa.locked, mfa.enrolled, mfa.disabled, mfa.recovery_code_used, mfa.recovery_codes_regenerated, refresh.reuse_detected, password.reset, password.changed, password.rehashed, role.changed or sessions.revoked."},
      "createdAt":{"type":"string","format":"date-time"},
      "ipAddress":{"anyOf":[{"type":"string"},{"type":"null"}],"description":"The client address, when the event came from a request."},
      "userAgent":{"anyOf":[{"type":"string"},{"type":"null"}]},
      "detail":{"anyOf":[{"type":"object"},{"type":"null"}],"description":"Event-specific facts, e.g. the reason of a failed login."}}},
    "AuditEventsResponse":{"type":"object","required":["events","count"],"properties":{
      "events":{"type":"array","items":{"$ref":"#/components/schemas/AuditEvent"}},
      "count":{"type":"integer","minimum":0}}},
    "PrometheusMetrics":{"type":"string","description":"Prometheus text exposition format 0.0.4."},
    "OpenApiDocument":{"type":"object","required":["openapi","info","paths"],"properties":{
      "openapi":{"type":"string","enum":["3.1.0"]},
      "info":{"type":"object"},
      "servers":{"type":"array"},
      "tags":{"type":"array"},
      "x-tagGroups":{"type":"array"},
      "paths":{"type":"object"},
      "webhooks":{"type":"object"},
      "components":{"type":"object"}}}
  }
}
})json";

std::string_view reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 409:
            return "Conflict";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        default:
            return "Response";
    }
}

boost::json::object ref(std::string_view kind, std::string_view name) {
    std::string target = "#/components/";
    target.append(kind).append("/").append(name);
    return {{"$ref", target}};
}

// The envelope the pipeline writes for `error` (http::Response::error), with `details` for a
// validation error: the issues the operation's own schema reports for an empty body.
boost::json::value error_body(const ApiError& error, const Operation& operation) {
    boost::json::object inner;
    inner["message"] = error.message;
    inner["code"] = error.code;
    if (error.code == "VALIDATION") {
        std::optional<schema::Issues> issues;
        if (operation.request_body != nullptr) {
            const boost::json::value empty = boost::json::object{};
            issues = schema::validate(*operation.request_body, &empty);
        } else if (!operation.parameters.empty()) {
            const auto& parameter = operation.parameters.front();
            issues = schema::validate(*parameter.schema, parameter.name, "not-a-uuid");
        }
        if (issues) inner["details"] = boost::json::parse(issues->details_json);
    }
    return boost::json::object{{"error", std::move(inner)}};
}

boost::json::object error_response(int status, const std::vector<ApiError>& errors,
                                   const Operation& operation) {
    std::string description(reason(status));
    description += ": ";
    boost::json::object examples;
    bool rate_limited = false;
    for (std::size_t i = 0; i < errors.size(); ++i) {
        const auto& error = errors[i];
        if (i > 0) description += ", ";
        description.append("`").append(error.code).append("`");
        rate_limited = rate_limited || error.code == "RATE_LIMITED";
        examples[error.code] = boost::json::object{{"summary", error.message},
                                                   {"value", error_body(error, operation)}};
    }
    description += '.';
    boost::json::object response;
    response["description"] = description;
    if (rate_limited) {
        response["headers"] = boost::json::object{
            {"Retry-After", ref("headers", "RetryAfter")},
            {"RateLimit-Limit", ref("headers", "RateLimitLimit")},
            {"RateLimit-Remaining", ref("headers", "RateLimitRemaining")},
            {"RateLimit-Reset", ref("headers", "RateLimitReset")},
            {"RateLimit-Policy", ref("headers", "RateLimitPolicy")},
        };
    }
    response["content"] = boost::json::object{
        {"application/json", boost::json::object{{"schema", ref("schemas", "ErrorResponse")},
                                                 {"examples", std::move(examples)}}}};
    return response;
}

boost::json::object success_response(const Success& success) {
    boost::json::object response;
    response["description"] = success.description;
    if (!success.schema.empty()) {
        response["content"] =
            boost::json::object{{success.content_type,
                                 boost::json::object{{"schema", ref("schemas", success.schema)}}}};
    }
    return response;
}

boost::json::object operation_object(const Operation& operation, const DocumentOptions& options) {
    if (operation.successes.empty()) {
        throw std::invalid_argument("operation " + operation.operation_id +
                                    " documents no success response");
    }
    boost::json::object out;
    out["tags"] = boost::json::array{boost::json::string(operation.tag)};
    out["summary"] = operation.summary;
    if (!operation.description.empty()) out["description"] = operation.description;
    out["operationId"] = operation.operation_id;
    // An explicit empty list marks a public operation (there is no document-wide requirement).
    boost::json::array security;
    if (!operation.security.empty()) {
        security.push_back(boost::json::object{{operation.security, boost::json::array{}}});
    }
    out["security"] = std::move(security);
    if (!operation.parameters.empty()) {
        boost::json::array parameters;
        for (const auto& parameter : operation.parameters) {
            boost::json::object schema = schema::to_json_schema(*parameter.schema);
            std::string description;
            if (const auto* text = schema.if_contains("description")) {
                description = text->as_string();
                schema.erase("description");
            }
            boost::json::object object{{"name", parameter.name},
                                       {"in", "path"},
                                       {"required", true},
                                       {"schema", std::move(schema)}};
            if (!description.empty()) object["description"] = description;
            parameters.push_back(std::move(object));
        }
        out["parameters"] = std::move(parameters);
    }
    if (operation.request_body != nullptr) {
        out["requestBody"] = boost::json::object{
            {"required", true},
            {"content", boost::json::object{
                            {"application/json",
                             boost::json::object{
                                 {"schema", schema::to_json_schema(*operation.request_body)}}}}}};
    }

    std::map<int, std::vector<ApiError>> errors;
    std::set<std::string_view> codes;
    const auto add = [&](const std::vector<ApiError>& list) {
        for (const auto& error : list) {
            if (codes.insert(error.code).second) errors[error.status].push_back(error);
        }
    };
    add(operation.errors);
    add(options.every_operation);
    if (!operation.probe) add(options.every_operation_but_probes);
    if (operation.request_body != nullptr) add(options.with_request_body);

    boost::json::object responses;
    for (const auto& success : operation.successes) {
        responses[std::to_string(success.status)] = success_response(success);
    }
    for (const auto& [status, list] : errors) {
        responses[std::to_string(status)] = error_response(status, list, operation);
    }
    out["responses"] = std::move(responses);
    return out;
}

void collect_refs(const boost::json::value& value, std::set<std::string>& refs) {
    if (const auto* object = value.if_object()) {
        for (const auto& [key, item] : *object) {
            if (key == "$ref" && item.is_string()) {
                refs.insert(std::string(item.get_string()));
            } else {
                collect_refs(item, refs);
            }
        }
    } else if (const auto* array = value.if_array()) {
        for (const auto& item : *array) collect_refs(item, refs);
    }
}

// Components no served operation uses are left out (e.g. PrometheusMetrics without /metrics, the
// rate-limit headers without rate limiting): a document lists what this server can answer.
void drop_unused_components(boost::json::object& document) {
    auto& components = document.at("components").as_object();
    std::set<std::string> refs;
    collect_refs(document.at("paths"), refs);
    for (std::size_t seen = 0; seen != refs.size();) {
        seen = refs.size();
        for (const auto& ref : std::set<std::string>(refs)) {
            const auto slash = ref.rfind('/');
            const auto kind = ref.substr(13, slash - 13);  // after `#/components/`
            collect_refs(components.at(kind).at(ref.substr(slash + 1)), refs);
        }
    }
    // Rebuilt rather than erased from: Boost 1.81's object::erase does not keep the order.
    const auto keep = [](const boost::json::object& entries, const auto& used) {
        boost::json::object kept;
        for (const auto& [name, value] : entries) {
            if (used(std::string(name))) kept[name] = value;
        }
        return kept;
    };
    for (const std::string kind : {"schemas", "headers"}) {
        components[kind] = keep(components.at(kind).as_object(), [&](const std::string& name) {
            return refs.contains("#/components/" + kind + "/" + name);
        });
    }
    std::set<std::string> schemes;
    for (const auto& [path, item] : document.at("paths").as_object()) {
        for (const auto& [method, operation] : item.as_object()) {
            for (const auto& requirement : operation.at("security").as_array()) {
                for (const auto& [name, scopes] : requirement.as_object()) {
                    schemes.insert(std::string(name));
                }
            }
        }
    }
    components["securitySchemes"] =
        keep(components.at("securitySchemes").as_object(),
             [&](const std::string& name) { return schemes.contains(name); });
    for (const char* kind : {"securitySchemes", "headers"}) {
        if (components.at(kind).as_object().empty()) components.erase(kind);
    }
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

}  // namespace

std::string openapi_path(std::string_view pattern) {
    std::string out;
    std::size_t i = 0;
    while (i < pattern.size()) {
        if (pattern[i] == ':' && i > 0 && pattern[i - 1] == '/') {
            const auto end = pattern.find('/', i);
            out += '{';
            out += pattern.substr(i + 1, end == std::string_view::npos ? end : end - i - 1);
            out += '}';
            if (end == std::string_view::npos) break;
            i = end;
            continue;
        }
        out += pattern[i++];
    }
    return out;
}

std::string build_document(const std::vector<Endpoint>& endpoints, const DocumentOptions& options) {
    boost::json::value document = boost::json::parse(kBase);
    document.at("info").as_object()["version"] = build_info::kVersion;
    auto& paths = document.at("paths").as_object();
    std::set<std::string> operation_ids;
    for (const auto& endpoint : endpoints) {
        if (endpoint.operation == nullptr) {
            throw std::invalid_argument("route " + std::string(endpoint.method) + " " +
                                        std::string(endpoint.pattern) +
                                        " has no OpenAPI operation");
        }
        const auto& operation = *endpoint.operation;
        if (!operation_ids.insert(operation.operation_id).second) {
            throw std::invalid_argument("duplicate operationId " + operation.operation_id);
        }
        const std::string path = openapi_path(endpoint.pattern);
        auto& item = paths[path];
        if (!item.is_object()) item.emplace_object();
        const std::string method = lower(endpoint.method);
        if (item.as_object().contains(method)) {
            throw std::invalid_argument("duplicate route " + std::string(endpoint.method) + " " +
                                        path);
        }
        item.as_object()[method] = operation_object(operation, options);
    }
    drop_unused_components(document.as_object());
    return boost::json::serialize(document);
}

}  // namespace portcullis::openapi
