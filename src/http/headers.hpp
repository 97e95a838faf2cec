// Header lists for our own Request/Response types, so that only the connection code sees Beast.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::http {

// Request headers as received; views into the connection's parser buffer, valid for the request.
class RequestHeaders {
public:
    void add(std::string_view name, std::string_view value) { items_.emplace_back(name, value); }
    // First value of `name` (case-insensitive), or empty.
    std::string_view get(std::string_view name) const;
    bool contains(std::string_view name) const;
    // All values of `name` joined by ", " (how Node presents repeated headers such as XFF).
    std::string joined(std::string_view name) const;
    const std::vector<std::pair<std::string_view, std::string_view>>& items() const {
        return items_;
    }

private:
    std::vector<std::pair<std::string_view, std::string_view>> items_;
};

// Response headers. Names must have static storage (every name we send is a literal); values are
// either static literals (no allocation) or owned strings.
class ResponseHeaders {
public:
    ResponseHeaders() { entries_.reserve(24); }  // a typical response carries ~20 headers

    void set(std::string_view static_name, std::string value);
    void set_static(std::string_view static_name, std::string_view static_value);
    void erase(std::string_view name);
    // Value of `name` (case-insensitive), or empty.
    std::string_view get(std::string_view name) const;
    bool contains(std::string_view name) const;

    struct Entry {
        std::string_view name;
        std::string_view static_value;
        std::string owned;
        bool is_owned = false;
        std::string_view value() const { return is_owned ? std::string_view(owned) : static_value; }
    };
    const std::vector<Entry>& entries() const { return entries_; }

private:
    // A bit per name, from its length and first and last letters (case-insensitive): a clear bit
    // means the name is absent, so adding one of the ~20 headers of a response does not compare
    // it with all the others.
    static std::uint64_t name_bit(std::string_view name);
    bool may_contain(std::string_view name) const { return (present_ & name_bit(name)) != 0; }
    const Entry* find(std::string_view name) const;
    Entry& slot(std::string_view static_name);  // the entry of `static_name`, appended if absent
    std::vector<Entry> entries_;
    std::uint64_t present_ = 0;
};

}  // namespace portcullis::http
