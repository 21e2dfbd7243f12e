#include "pax.hpp"

#include <charconv>
#include <cstring>
#include <limits>

namespace dropgate::validator::detail {
namespace {

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    std::uint64_t value = 0;
    if (text.empty()) return std::nullopt;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
    return value;
}

// pax times are decimal seconds with an optional fraction ("1700000000.123456789"); dropgate
// keeps whole seconds, rounded down (also for times before 1970).
std::optional<std::int64_t> parse_time(std::string_view text) {
    bool negative = !text.empty() && text[0] == '-';
    if (negative) text.remove_prefix(1);
    std::string_view whole = text.substr(0, text.find('.'));
    std::string_view fraction = whole.size() < text.size() ? text.substr(whole.size() + 1) : "";
    auto seconds = parse_decimal(whole);
    if (!seconds || *seconds > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        return std::nullopt;
    bool has_fraction = false;
    for (char c : fraction) {
        if (c < '0' || c > '9') return std::nullopt;
        has_fraction |= c != '0';
    }
    std::int64_t value = std::int64_t(*seconds);
    return negative ? -value - (has_fraction ? 1 : 0) : value;
}

template <typename T>
bool set_number(std::optional<T>& field, std::optional<T> value) {
    if (!value) return false;
    field = value;
    return true;
}

bool apply(PaxAttributes& out, std::string_view key, std::string_view value) {
    auto text = [&](std::optional<std::string>& field) {
        if (value.empty())
            field.reset();  // an empty value removes the keyword
        else
            field = std::string(value);
        return true;
    };
    if (key == "path") return text(out.path);
    if (key == "linkpath") return text(out.linkpath);
    if (key == "uname") return text(out.uname);
    if (key == "gname") return text(out.gname);
    if (key == "GNU.sparse.name") return text(out.sparse_name);
    if (value.empty()) return true;
    if (key == "size") return set_number(out.size, parse_decimal(value));
    if (key == "uid") return set_number(out.uid, parse_decimal(value));
    if (key == "gid") return set_number(out.gid, parse_decimal(value));
    if (key == "mtime") return set_number(out.mtime, parse_time(value));
    if (key == "GNU.sparse.size" || key == "GNU.sparse.realsize")
        return set_number(out.sparse_realsize, parse_decimal(value));
    return true;
}

}  // namespace

void PaxAttributes::merge(const PaxAttributes& other) {
    auto over = [](auto& mine, const auto& theirs) {
        if (theirs) mine = theirs;
    };
    over(path, other.path);
    over(linkpath, other.linkpath);
    over(uname, other.uname);
    over(gname, other.gname);
    over(size, other.size);
    over(uid, other.uid);
    over(gid, other.gid);
    over(mtime, other.mtime);
    over(sparse_name, other.sparse_name);
    over(sparse_realsize, other.sparse_realsize);
}

bool parse_pax(std::string_view data, PaxAttributes& out) {
    std::size_t pos = 0;
    while (pos < data.size()) {
        // Some writers pad the records with NULs; what follows them is not a record.
        if (data[pos] == '\0') break;
        std::size_t space = data.find(' ', pos);
        if (space == std::string_view::npos) return false;
        auto length = parse_decimal(data.substr(pos, space - pos));
        if (!length || *length <= space - pos + 1 || *length > data.size() - pos) return false;
        std::string_view record = data.substr(pos, *length);
        if (record.back() != '\n') return false;
        std::string_view body = record.substr(space - pos + 1, record.size() - (space - pos + 2));
        std::size_t equals = body.find('=');
        if (equals == std::string_view::npos || equals == 0) return false;
        if (!apply(out, body.substr(0, equals), body.substr(equals + 1))) return false;
        pos += *length;
    }
    return true;
}

std::optional<std::int64_t> parse_numeric(const std::uint8_t* field, std::size_t size) {
    if (size > 0 && (field[0] & 0x80)) {
        // Base-256, big-endian two's complement; bit 6 of the first byte is the sign.
        bool negative = field[0] & 0x40;
        std::uint8_t extension = negative ? 0xff : 0x00;
        std::uint64_t value = negative ? ~0ull : 0;
        for (std::size_t i = 0; i < size; ++i) {
            std::uint8_t byte =
                i == 0 ? std::uint8_t((field[0] & 0x7f) | (negative ? 0x80 : 0)) : field[i];
            if (i + 8 < size) {
                if (byte != extension) return std::nullopt;  // does not fit in 64 bits
                continue;
            }
            value = value << 8 | byte;
        }
        std::int64_t result = std::int64_t(value);
        if ((result < 0) != negative) return std::nullopt;
        return result;
    }
    std::size_t i = 0;
    while (i < size && field[i] == ' ') ++i;
    std::int64_t value = 0;
    for (; i < size && field[i] >= '0' && field[i] <= '7'; ++i) {
        if (value > (std::numeric_limits<std::int64_t>::max() >> 3)) return std::nullopt;
        value = value << 3 | (field[i] - '0');
    }
    for (; i < size; ++i)
        if (field[i] != ' ' && field[i] != '\0') return std::nullopt;
    return value;
}

std::string_view parse_string(const std::uint8_t* field, std::size_t size) {
    const void* nul = std::memchr(field, 0, size);
    std::size_t length = nul ? std::size_t(static_cast<const std::uint8_t*>(nul) - field) : size;
    return {reinterpret_cast<const char*>(field), length};
}

}  // namespace dropgate::validator::detail
