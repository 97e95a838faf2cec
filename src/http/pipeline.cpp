// See pipeline.hpp.
#include "http/pipeline.hpp"

#include <exception>
#include <optional>

#include "http/error.hpp"
#include "observability/logger.hpp"
#include "util/unavailable.hpp"

namespace portcullis::http {

Awaitable<Response> Next::operator()(Request& request) const {
    return pipeline_->call(index_, request);
}

Pipeline::Pipeline(std::vector<Middleware> chain, Handler terminal, observability::Logger& logger)
    : chain_(std::move(chain)), terminal_(std::move(terminal)), logger_(logger) {}

Awaitable<Response> Pipeline::call(std::size_t index, Request& request) const {
    std::optional<Response> failure;
    try {
        if (index < chain_.size()) {
            co_return co_await chain_[index](request, Next(*this, index + 1));
        }
        co_return co_await terminal_(request);
    } catch (const HttpError& e) {
        failure = Response::error(e.status(), e.message(), e.code(), e.details_json());
    } catch (const util::Unavailable& e) {
        logger_.log(observability::Level::warn, "Dependency unavailable",
                    observability::LogFields()
                        .str("reqId", request.id)
                        .str("code", e.code())
                        .error("Error", e.what()));
        failure = Response::error(503, e.public_message(), e.code());
    } catch (const std::exception& e) {
        logger_.log(observability::Level::error, "Unhandled error while handling request",
                    observability::LogFields().str("reqId", request.id).error("Error", e.what()));
        failure = Response::error(500, "Internal Server Error");
    }
    co_return std::move(*failure);
}

}  // namespace portcullis::http
