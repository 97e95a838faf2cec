// See headers.hpp.
#include "http/headers.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace portcullis::http {

std::string_view RequestHeaders::get(std::string_view name) const {
    for (const auto& [n, v] : items_) {
        if (util::iequals(n, name)) return v;
    }
    return {};
}

bool RequestHeaders::contains(std::string_view name) const {
    return std::any_of(items_.begin(), items_.end(),
                       [&](const auto& item) { return util::iequals(item.first, name); });
}

std::string RequestHeaders::joined(std::string_view name) const {
    std::string out;
    for (const auto& [n, v] : items_) {
        if (!util::iequals(n, name)) continue;
        if (!out.empty()) out += ", ";
        out += v;
    }
    return out;
}

std::uint64_t ResponseHeaders::name_bit(std::string_view name) {
    if (name.empty()) return 1;
    const auto first = static_cast<unsigned char>(util::ascii_lower(name.front()));
    const auto last = static_cast<unsigned char>(util::ascii_lower(name.back()));
    return std::uint64_t{1} << ((name.size() * 31u + first * 7u + last) & 63u);
}

const ResponseHeaders::Entry* ResponseHeaders::find(std::string_view name) const {
    if (!may_contain(name)) return nullptr;
    for (const auto& e : entries_) {
        if (util::iequals(e.name, name)) return &e;
    }
    return nullptr;
}

ResponseHeaders::Entry& ResponseHeaders::slot(std::string_view static_name) {
    if (may_contain(static_name)) {
        for (auto& e : entries_) {
            if (util::iequals(e.name, static_name)) return e;
        }
    }
    present_ |= name_bit(static_name);
    return entries_.emplace_back();
}

void ResponseHeaders::set(std::string_view static_name, std::string value) {
    Entry& e = slot(static_name);
    e.name = static_name;
    e.owned = std::move(value);
    e.is_owned = true;
}

void ResponseHeaders::set_static(std::string_view static_name, std::string_view static_value) {
    Entry& e = slot(static_name);
    e.name = static_name;
    e.static_value = static_value;
    e.owned.clear();
    e.is_owned = false;
}

void ResponseHeaders::erase(std::string_view name) {
    if (!may_contain(name)) return;
    std::erase_if(entries_, [&](const Entry& e) { return util::iequals(e.name, name); });
    present_ = 0;
    for (const auto& e : entries_) present_ |= name_bit(e.name);
}

std::string_view ResponseHeaders::get(std::string_view name) const {
    const Entry* e = find(name);
    return e != nullptr ? e->value() : std::string_view();
}

bool ResponseHeaders::contains(std::string_view name) const {
    return find(name) != nullptr;
}

}  // namespace portcullis::http
