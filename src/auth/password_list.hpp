// The built-in common-password list (AUTH_PASSWORD_BLOCKLIST=builtin): the 49,233 passwords of the
// npm package @zxcvbn-ts/language-common (MIT, see password_list/), embedded at build time as one
// block of sorted, lower-case, newline-terminated lines (cmake/embed_password_list.mjs).
#pragma once

#include <cstddef>
#include <string_view>

namespace portcullis::auth {

// Sorted by bytes, one entry per line, each line ending in '\n'. Static storage.
std::string_view builtin_password_list();
std::size_t builtin_password_count();

}  // namespace portcullis::auth
