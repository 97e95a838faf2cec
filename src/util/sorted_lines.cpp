// See sorted_lines.hpp. The search keeps [lo, hi) such that a matching line, if any, starts inside
// it at a line boundary; each probe takes the line around the middle and drops one side.
#include "util/sorted_lines.hpp"

namespace portcullis::util {
namespace {

char fold(char c, bool fold_case) {
    return (fold_case && c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

// <0, 0, >0 as `line_key` sorts before, equal to or after `key`.
int compare(std::string_view line_key, std::string_view key, bool fold_case) {
    const std::size_t n = line_key.size() < key.size() ? line_key.size() : key.size();
    for (std::size_t i = 0; i < n; ++i) {
        const auto a = static_cast<unsigned char>(fold(line_key[i], fold_case));
        const auto b = static_cast<unsigned char>(key[i]);
        if (a != b) return a < b ? -1 : 1;
    }
    if (line_key.size() == key.size()) return 0;
    return line_key.size() < key.size() ? -1 : 1;
}

}  // namespace

bool contains_key(const SortedLines& lines, std::string_view key,
                  std::vector<std::size_t>* probed) {
    const std::string_view text = lines.text;
    std::size_t lo = 0;
    std::size_t hi = text.size();
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        std::size_t start = mid;
        while (start > lo && text[start - 1] != '\n') --start;
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos || end > hi) end = hi;
        if (probed != nullptr) probed->push_back(start);
        std::string_view line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (lines.delimiter != '\0') {
            if (const auto cut = line.find(lines.delimiter); cut != std::string_view::npos) {
                line = line.substr(0, cut);
            }
        }
        const int order = compare(line, key, lines.fold_case);
        if (order == 0) return true;
        if (order < 0) {
            lo = end + 1;
        } else {
            hi = start;
        }
    }
    return false;
}

}  // namespace portcullis::util
