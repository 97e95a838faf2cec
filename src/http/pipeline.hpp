// The middleware chain (design section 3) and its error boundary: the only place where an
// exception becomes a response.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "http/request.hpp"
#include "http/response.hpp"

namespace portcullis::observability {
class Logger;
}

namespace portcullis::http {

template <typename T>
using Awaitable = boost::asio::awaitable<T>;

class Pipeline;

// Calls the rest of the chain.
class Next {
public:
    Next(const Pipeline& pipeline, std::size_t index) : pipeline_(&pipeline), index_(index) {}
    Awaitable<Response> operator()(Request& request) const;

private:
    const Pipeline* pipeline_;
    std::size_t index_;
};

using Handler = std::function<Awaitable<Response>(Request&)>;
using Middleware = std::function<Awaitable<Response>(Request&, Next)>;

class Pipeline {
public:
    Pipeline(std::vector<Middleware> chain, Handler terminal, observability::Logger& logger);

    // Never throws: HttpError becomes its envelope; anything else a logged, generic 500.
    Awaitable<Response> run(Request& request) const { return call(0, request); }

private:
    friend class Next;
    Awaitable<Response> call(std::size_t index, Request& request) const;

    std::vector<Middleware> chain_;
    Handler terminal_;
    observability::Logger& logger_;
};

}  // namespace portcullis::http
