// See password_blocklist.hpp.
#include "auth/password_blocklist.hpp"

#include <openssl/sha.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "auth/password_list.hpp"
#include "util/sorted_lines.hpp"

namespace portcullis::auth {
namespace {

// Derived forms shorter than this are not compared: a 3-character core says little about a
// password of at least 8 characters.
constexpr std::size_t kMinFormLength = 4;
constexpr std::size_t kMinLocalPartLength = 4;
constexpr std::size_t kSha1HexLength = 40;
// What one probe releases after a lookup (see contains_sha1): the PMD size on x86-64, the largest
// unit a file fault maps.
constexpr std::uintptr_t kReleaseBlock = 2U << 20;

bool is_ascii_letter(char c) {
    return c >= 'a' && c <= 'z';
}

// ASCII, not a letter: a digit, a symbol or a space. Non-ASCII bytes count as letters (they are
// parts of letters in other alphabets more often than symbols).
bool is_edge_noise(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x80 && !is_ascii_letter(c);
}

bool is_symbol(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x80 && !is_ascii_letter(c) && !(c >= '0' && c <= '9');
}

std::string lower_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

template <typename Pred>
std::string strip(std::string_view text, Pred noise, bool leading, bool trailing) {
    std::size_t begin = 0;
    std::size_t end = text.size();
    if (leading) {
        while (begin < end && noise(text[begin])) ++begin;
    }
    if (trailing) {
        while (end > begin && noise(text[end - 1])) --end;
    }
    return std::string(text.substr(begin, end - begin));
}

// Look-alike characters back to the letter they stand for; `one_as` is the reading of `1`, `!`
// and `|` (i or l: both are tried).
std::string undo_substitutions(std::string_view text, char one_as) {
    std::string out(text);
    for (char& c : out) {
        switch (c) {
            case '@':
            case '4':
                c = 'a';
                break;
            case '8':
                c = 'b';
                break;
            case '(':
            case '<':
                c = 'c';
                break;
            case '3':
                c = 'e';
                break;
            case '6':
            case '9':
                c = 'g';
                break;
            case '1':
            case '!':
            case '|':
                c = one_as;
                break;
            case '0':
                c = 'o';
                break;
            case '5':
            case '$':
                c = 's';
                break;
            case '7':
            case '+':
                c = 't';
                break;
            case '2':
                c = 'z';
                break;
            default:
                break;
        }
    }
    return out;
}

void add_form(std::vector<std::string>& forms, std::string form) {
    if (form.size() < kMinFormLength) return;
    if (std::find(forms.begin(), forms.end(), form) != forms.end()) return;
    forms.push_back(std::move(form));
}

std::string_view local_part(std::string_view email) {
    const auto at = email.rfind('@');
    return at == std::string_view::npos ? email : email.substr(0, at);
}

}  // namespace

std::string sha1_hex_upper(std::string_view text) {
    std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
    SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(kSha1HexLength);
    for (const unsigned char b : digest) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0x0f]);
    }
    return out;
}

BreachedHashFile::BreachedHashFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw std::runtime_error("cannot open the password blocklist file " + path + ": " +
                                 std::strerror(errno));
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        throw std::runtime_error("the password blocklist " + path + " is not a regular file");
    }
    if (info.st_size == 0) {
        ::close(fd);
        throw std::runtime_error("the password blocklist file " + path + " is empty");
    }
    size_ = static_cast<std::size_t>(info.st_size);
    void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (mapped == MAP_FAILED) {
        throw std::runtime_error("cannot map the password blocklist file " + path + ": " +
                                 std::strerror(errno));
    }
    data_ = static_cast<const char*>(mapped);
    // Lookups jump around: no read-ahead.
    ::madvise(mapped, size_, MADV_RANDOM);
    if (const long page = ::sysconf(_SC_PAGESIZE); page > 0) page_ = static_cast<std::size_t>(page);

    // Only the first line is looked at (no load step); `portcullis blocklist verify` reads all.
    const std::string_view text(data_, size_);
    std::string_view first = text.substr(0, text.find('\n'));
    if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
    const std::string_view hash = first.substr(0, first.find(':'));
    const bool hex =
        hash.size() == kSha1HexLength && std::all_of(hash.begin(), hash.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
        });
    const std::string_view count = hash.size() < first.size() ? first.substr(hash.size() + 1) : "";
    const bool counted =
        std::all_of(count.begin(), count.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!hex || !counted) {
        ::munmap(mapped, size_);
        throw std::runtime_error("the password blocklist file " + path +
                                 " does not start with a `<SHA-1 hex>:<count>` line");
    }
}

BreachedHashFile::~BreachedHashFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
}

bool BreachedHashFile::contains_sha1(std::string_view upper_hex) const {
    std::vector<std::size_t> probed;
    probed.reserve(64);
    const bool found = util::contains_key(
        {.text = std::string_view(data_, size_), .delimiter = ':', .fold_case = true}, upper_hex,
        &probed);
    // Release what this lookup mapped in: the page cache keeps the pages, the process does not.
    // A fault maps more than the page it hits (fault-around, large folios), so each probe
    // releases the whole aligned 2 MiB block around it; unmapped parts cost nothing to release.
    const auto base = reinterpret_cast<std::uintptr_t>(data_);
    const auto end = base + size_;
    std::uintptr_t released_up_to = 0;
    std::sort(probed.begin(), probed.end());
    for (const std::size_t offset : probed) {
        const std::uintptr_t first =
            std::max(base, (base + offset) / kReleaseBlock * kReleaseBlock);
        if (first < released_up_to) continue;
        const std::uintptr_t last = std::min(end, first + kReleaseBlock);
        const std::uintptr_t from = first / page_ * page_;
        ::madvise(reinterpret_cast<void*>(from), last - from, MADV_DONTNEED);
        released_up_to = last;
    }
    return found;
}

bool BreachedHashFile::contains_password(std::string_view password) const {
    return contains_sha1(sha1_hex_upper(password));
}

std::vector<std::string> normalized_forms(std::string_view password) {
    std::vector<std::string> forms;
    const std::string lower = lower_ascii(password);
    forms.push_back(lower);  // as typed, whatever its length
    const auto noise = [](char c) { return is_edge_noise(c); };
    const auto symbol = [](char c) { return is_symbol(c); };
    std::vector<std::string> bases{lower};
    for (const bool leading : {true, false}) {
        for (const bool trailing : {true, false}) {
            if (!leading && !trailing) continue;
            bases.push_back(strip(lower, noise, leading, trailing));
            bases.push_back(strip(lower, symbol, leading, trailing));
        }
    }
    for (const auto& base : bases) {
        add_form(forms, base);
        for (const char one_as : {'i', 'l'}) {
            const std::string undone = undo_substitutions(base, one_as);
            add_form(forms, undone);
            add_form(forms, strip(undone, noise, true, true));
        }
    }
    return forms;
}

bool in_builtin_list(std::string_view lower) {
    return util::contains_key({.text = builtin_password_list()}, lower);
}

PasswordBlocklist PasswordBlocklist::off() {
    return PasswordBlocklist(false, nullptr);
}

PasswordBlocklist PasswordBlocklist::builtin() {
    return PasswordBlocklist(true, nullptr);
}

PasswordBlocklist PasswordBlocklist::with_file(const std::string& path) {
    return PasswordBlocklist(true, std::make_shared<const BreachedHashFile>(path));
}

PasswordVerdict PasswordBlocklist::check(std::string_view password, std::string_view email) const {
    if (!enabled_) return PasswordVerdict::ok;
    const std::vector<std::string> forms = normalized_forms(password);
    for (const auto& form : forms) {
        if (in_builtin_list(form)) return PasswordVerdict::breached;
    }
    if (file_ && file_->contains_password(password)) return PasswordVerdict::breached;
    const std::string local = lower_ascii(local_part(email));
    if (local.size() >= kMinLocalPartLength) {
        const std::string lower = lower_ascii(password);
        if (lower.find(local) != std::string::npos) return PasswordVerdict::contains_email;
        for (const char one_as : {'i', 'l'}) {
            if (undo_substitutions(lower, one_as).find(local) != std::string::npos) {
                return PasswordVerdict::contains_email;
            }
        }
    }
    return PasswordVerdict::ok;
}

}  // namespace portcullis::auth
