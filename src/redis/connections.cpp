// See connections.hpp.
#include "redis/connections.hpp"

#include <stdexcept>

#include "redis/cluster.hpp"

namespace portcullis::redis {

std::shared_ptr<Commands> make_client(boost::asio::io_context& io, const Settings& settings,
                                      ClientOptions options, Health* health) {
    if (settings.cluster) return std::make_shared<ClusterClient>(io, settings, options, health);
    return std::make_shared<Client>(io, settings, options, health);
}

Connections::Connections(Settings settings, ClientOptions options, int io_threads)
    : settings_(std::move(settings)), options_(options) {
    health_.expect_clients(io_threads);
}

Connections::~Connections() {
    close();
}

void Connections::attach_this_thread(boost::asio::io_context& io) {
    auto client = make_client(io, settings_, options_, &health_);
    {
        std::lock_guard lock(mutex_);
        clients_.push_back(client);
    }
    local_.set(client.get());
    client->start();
}

Commands& Connections::local() const {
    Commands* client = local_.get();
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
