// See database.hpp.
#include "db/database.hpp"

#include <stdexcept>

namespace portcullis::db {

Database::Database(ConnectionSettings settings, PoolOptions options)
    : settings_(std::move(settings)), options_(std::move(options)) {
    // One breaker for every thread's pool: when one of them finds Postgres frozen, all fail fast.
    if (!options_.breaker) options_.breaker = std::make_shared<Breaker>();
}

Database::~Database() = default;

void Database::attach_this_thread(boost::asio::io_context& io) {
    auto pool = std::make_unique<Pool>(io, settings_, options_);
    local_.set(pool.get());
    std::lock_guard lock(mutex_);
    pools_.push_back(std::move(pool));
}

void Database::close() {
    local_.forget_all();
    std::lock_guard lock(mutex_);
    pools_.clear();
}

Pool& Database::local() const {
    Pool* pool = local_.get();
    if (pool == nullptr) {
        throw std::logic_error("database used outside an attached I/O thread or after close");
    }
    return *pool;
}

}  // namespace portcullis::db
