// Request id middleware (contract 3.5).
#include "http/middlewares.hpp"
#include "util/random.hpp"

namespace portcullis::http {

Middleware request_id() {
    return [](Request& request, Next next) -> Awaitable<Response> {
        const auto incoming = request.headers.get("x-request-id");
        request.id = incoming.empty() ? util::uuid_v4() : std::string(incoming);
        Response response = co_await next(request);
        response.headers.set("x-request-id", request.id);
        co_return response;
    };
}

}  // namespace portcullis::http
