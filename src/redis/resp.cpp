// See resp.hpp.
#include "redis/resp.hpp"

#include <hiredis/hiredis.h>

namespace portcullis::redis {
namespace {

Reply convert(const redisReply& r) {
    Reply reply;
    switch (r.type) {
        case REDIS_REPLY_STRING:
            reply.type = Reply::Type::string;
            reply.text.assign(r.str, r.len);
            break;
        case REDIS_REPLY_STATUS:
            reply.type = Reply::Type::status;
            reply.text.assign(r.str, r.len);
            break;
        case REDIS_REPLY_ERROR:
            reply.type = Reply::Type::error;
            reply.text.assign(r.str, r.len);
            break;
        case REDIS_REPLY_INTEGER:
            reply.type = Reply::Type::integer;
            reply.integer = r.integer;
            break;
        case REDIS_REPLY_ARRAY:
            reply.type = Reply::Type::array;
            reply.elements.reserve(r.elements);
            for (std::size_t i = 0; i < r.elements; ++i)
                reply.elements.push_back(convert(*r.element[i]));
            break;
        default:
            reply.type = Reply::Type::nil;
            break;
    }
    return reply;
}

}  // namespace

void encode_command(std::string& out, const std::vector<std::string>& args) {
    out += '*';
    out += std::to_string(args.size());
    out += "\r\n";
    for (const auto& arg : args) {
        out += '$';
        out += std::to_string(arg.size());
        out += "\r\n";
        out += arg;
        out += "\r\n";
    }
}

// hiredis' own reply functions with createArray in front: it refuses a count above
// kMaxReplyArrayElements (hiredis then stops with an error) and notes it for next()'s message.
struct ReplyReader::Impl {
    redisReader* reader = redisReaderCreate();
    redisReplyObjectFunctions functions{};
    void* (*create_array)(const redisReadTask*, int) = nullptr;
    int refused_elements = 0;

    static void* checked_create_array(const redisReadTask* task, int elements) {
        auto* self = static_cast<Impl*>(task->privdata);
        if (elements > kMaxReplyArrayElements) {
            self->refused_elements = elements;
            return nullptr;
        }
        return self->create_array(task, elements);
    }
};

ReplyReader::ReplyReader() : impl_(std::make_unique<Impl>()) {
    if (impl_->reader == nullptr) throw std::bad_alloc();
    impl_->functions = *impl_->reader->fn;
    impl_->create_array = impl_->functions.createArray;
    impl_->functions.createArray = &Impl::checked_create_array;
    impl_->reader->fn = &impl_->functions;
    impl_->reader->privdata = impl_.get();  // handed to every read task
}

ReplyReader::~ReplyReader() {
    redisReaderFree(impl_->reader);
}

void ReplyReader::feed(std::string_view bytes) {
    if (bytes.empty()) return;
    if (redisReaderFeed(impl_->reader, bytes.data(), bytes.size()) != REDIS_OK) {
        throw ProtocolError("Redis reply buffer could not grow");
    }
}

std::optional<Reply> ReplyReader::next() {
    void* raw = nullptr;
    if (redisReaderGetReply(impl_->reader, &raw) != REDIS_OK) {
        if (impl_->refused_elements > 0) {
            throw ProtocolError("Redis reply is an array of " +
                                std::to_string(impl_->refused_elements) + " elements (at most " +
                                std::to_string(kMaxReplyArrayElements) + " are read)");
        }
        throw ProtocolError(std::string("malformed Redis reply: ") + impl_->reader->errstr);
    }
    if (raw == nullptr) return std::nullopt;
    auto* reply = static_cast<redisReply*>(raw);
    Reply converted = convert(*reply);
    freeReplyObject(reply);
    return converted;
}

}  // namespace portcullis::redis
