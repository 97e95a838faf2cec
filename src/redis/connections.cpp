// See connections.hpp.
#include "redis/connections.hpp"

#include <stdexcept>

namespace portcullis::redis {

Connections::Connections(Settings settings, ClientOptions options, int io_threads)
    : settings_(std::move(settings)), options_(options) {
    health_.expect_clients(io_threads);
}

Connections::~Connections() {
    close();
}

void Connections::attach_this_thread(boost::asio::io_context& io) {
    auto client = std::make_shared<Client>(io, settings_, options_, &health_);
    {
        std::lock_guard lock(mutex_);
        clients_.push_back(client);
    }
    local_.set(client.get());
    client->start();
}

Client& Connections::local() const {
    Client* client = local_.get();
    if (client == nullptr) {
        throw std::logic_error("no Redis client of this instance on this thread (or closed)");
    }
    return *client;
}

void Connections::close() {
    local_.forget_all();
    std::lock_guard lock(mutex_);
    for (auto& client : clients_) client->stop();
    clients_.clear();
}

}  // namespace portcullis::redis
