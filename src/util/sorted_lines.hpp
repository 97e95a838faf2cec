// Binary search over a block of lines sorted by bytes, read in place: the built-in password list
// and Have-I-Been-Pwned style `HASH:COUNT` files (memory-mapped, gigabytes) are searched without a
// load step or an index. Each probe reads one line; a search reads about log2(lines) of them.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace portcullis::util {

struct SortedLines {
    std::string_view text;   // lines ending in '\n' (the last one may not); '\r' before it ignored
    char delimiter = '\0';   // a line's key ends at the first delimiter; '\0': the whole line
    bool fold_case = false;  // compare the keys' ASCII letters as upper case (hex digests)
};

// True when some line's key equals `key`. With fold_case, `key` must be upper case already.
// `probed`, when given, receives the offset of every line read (to release those pages after).
// The lines must be sorted by their (folded) keys; an unsorted block gives wrong answers, never
// out-of-bounds reads.
bool contains_key(const SortedLines& lines, std::string_view key,
                  std::vector<std::size_t>* probed = nullptr);

}  // namespace portcullis::util
