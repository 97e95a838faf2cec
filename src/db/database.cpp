// See database.hpp.
#include "db/database.hpp"

#include <stdexcept>

namespace portcullis::db {
namespace {
thread_local Pool* tl_pool = nullptr;
}

Database::Database(ConnectionSettings settings, PoolOptions options)
    : settings_(std::move(settings)), options_(options) {}

Database::~Database() = default;

void Database::attach_this_thread(boost::asio::io_context& io) {
    auto pool = std::make_unique<Pool>(io, settings_, options_);
    tl_pool = pool.get();
    std::lock_guard lock(mutex_);
    pools_.push_back(std::move(pool));
}

void Database::close() {
    std::lock_guard lock(mutex_);
    pools_.clear();
}

Pool& Database::local() const {
    if (tl_pool == nullptr) throw std::logic_error("database used outside an attached I/O thread");
    return *tl_pool;
}

}  // namespace portcullis::db
