#include "pax.hpp"

#include <functional>
#include <limits>

#include "pax_value.hpp"

namespace dropgate::validator::detail {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kUint32Max = std::numeric_limits<std::uint32_t>::max();
// libarchive refuses a record longer than this ("Rejecting pax extended attribute > 1MB").
constexpr std::uint64_t kMaxRecord = 999'999;

using RecordHandler =
    std::function<std::optional<std::string>(std::string_view key, std::string_view value)>;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

// Both tools pass values on as C strings: a NUL ends the value.
std::string_view up_to_nul(std::string_view value) {
    return value.substr(0, value.find('\0'));
}

// A member header as both tools read it: records back to back, each "LEN KEY=VALUE\n" with LEN
// digits at its very start (libarchive allows nothing before them, and nothing after the last
// record), one space, a non-empty KEY without NUL.
std::optional<std::string> member_records(std::string_view data, const RecordHandler& handle) {
    for (std::size_t pos = 0; pos < data.size();) {
        std::size_t digits = pos;
        std::uint64_t length = 0;
        for (; digits < data.size() && is_digit(data[digits]) && length <= kMaxRecord; ++digits)
            length = length * 10 + std::uint64_t(data[digits] - '0');
        if (digits == pos || length > kMaxRecord || length > data.size() - pos) return "";
        std::string_view record = data.substr(pos, length);
        const std::size_t key_at = digits - pos + 1;
        if (record.size() <= key_at || record[key_at - 1] != ' ' || record.back() != '\n')
            return "";
        // GNU tar skips further blanks before the key; libarchive makes them part of it.
        if (is_blank(record[key_at])) return "ambiguous: blanks after a record length";
        std::string_view body = record.substr(key_at, record.size() - key_at - 1);
        const std::size_t equals = body.find('=');
        if (equals == 0 || equals == std::string_view::npos ||
            body.substr(0, equals).find('\0') != std::string_view::npos)
            return "";
        if (auto problem = handle(body.substr(0, equals), up_to_nul(body.substr(equals + 1))))
            return problem;
        pos += length;
    }
    return std::nullopt;
}

// A global header as GNU tar reads it (libarchive does not read it at all): blanks may precede
// the length and follow it, and a NUL where a record would start ends the header.
std::optional<std::string> global_records(std::string_view data, const RecordHandler& handle) {
    for (std::size_t pos = 0; pos < data.size();) {
        std::size_t p = pos;
        while (p < data.size() && is_blank(data[p])) ++p;
        if (p == data.size() || data[p] == '\0') return std::nullopt;
        std::uint64_t length = 0;
        std::size_t digits = p;
        for (; digits < data.size() && is_digit(data[digits]); ++digits) {
            length = length * 10 + std::uint64_t(data[digits] - '0');
            if (length > data.size()) return "";
        }
        if (digits == p || length > data.size() - pos) return "";
        const std::size_t end = pos + length;
        std::size_t key = digits;
        while (key < data.size() && is_blank(data[key])) ++key;
        const std::size_t equals = data.find('=', key);
        if (key == digits || equals == std::string_view::npos || equals >= end ||
            data.substr(key, equals - key).find('\0') != std::string_view::npos ||
            data[end - 1] != '\n')
            return "";
        std::string_view value = data.substr(equals + 1, end - 1 - (equals + 1));
        if (auto problem = handle(data.substr(key, equals - key), up_to_nul(value))) return problem;
        pos = end;
    }
    return std::nullopt;
}

// What one header's records say, beyond the attributes: for the checks across records.
struct HeaderState {
    HeaderState(PaxScope s, PaxAttributes& o) : scope(s), out(o) {}

    PaxScope scope;
    PaxAttributes& out;
    bool binary_names = false;  // hdrcharset=BINARY: names need not be UTF-8
    std::optional<std::uint64_t> sparse_major, sparse_minor;
    std::uint64_t sparse_blocks = 0;  // GNU.sparse.numblocks (0.0 and 0.1)
    std::uint64_t sparse_pairs = 0;   // offset/size pairs given so far
    SparseRegions sparse_regions;     // their sizes
};

std::string invalid(std::string_view key, std::string_view value) {
    constexpr std::size_t kShown = 40;
    std::string shown(value.substr(0, kShown));
    for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return "invalid " + std::string(key) + "=" + shown + (value.size() > kShown ? "…" : "");
}

// A decimal GNU tar reads with decode_num: non-negative up to `max`.
std::optional<std::uint64_t> non_negative(std::string_view text, std::int64_t max) {
    auto value = gnu_decimal(text, 0, max);
    if (!value) return std::nullopt;
    return static_cast<std::uint64_t>(*value);
}

template <typename T>
std::optional<std::string> store(std::optional<T>& field, std::optional<T> value,
                                 std::string_view key, std::string_view text) {
    if (!value) return invalid(key, text);
    field = value;
    return std::nullopt;
}

// GNU.sparse.map (format 0.1): offset,size pairs of digits, no more pairs than
// GNU.sparse.numblocks announced before it (GNU tar), none overflowing (libarchive).
std::optional<std::string> sparse_map(HeaderState& s, std::string_view key, std::string_view map) {
    std::uint64_t offset = 0;
    std::size_t index = 0;
    s.sparse_pairs = 0;
    s.sparse_regions = SparseRegions{};
    for (std::string_view rest = map;; ++index) {
        const std::size_t comma = std::min(rest.find(','), rest.size());
        auto value = gnu_unsigned(rest.substr(0, comma), kInt64Max);
        if (!value) return invalid(key, map);
        if (index % 2 == 0)
            offset = *value;
        else if (++s.sparse_pairs > s.sparse_blocks || offset > kInt64Max - *value)
            return invalid(key, map);
        else
            s.sparse_regions.add(*value);
        if (comma == rest.size()) break;
        rest.remove_prefix(comma + 1);
    }
    if (index % 2 == 0) return invalid(key, map);  // an odd number of values
    return std::nullopt;
}

// GNU.sparse.* (formats 0.0, 0.1 and 1.0), as GNU tar decodes each keyword.
std::optional<std::string> gnu_sparse(HeaderState& s, std::string_view key,
                                      std::string_view value) {
    // GNU tar would make every later member sparse; libarchive ignores global headers.
    if (s.scope == PaxScope::global)
        return "ambiguous: " + std::string(key) + " in a global header";
    s.out.sparse_records = true;
    if (key == "GNU.sparse.name") {
        s.out.sparse_name = std::string(value);
    } else if (key == "GNU.sparse.size" || key == "GNU.sparse.realsize") {
        return store(s.out.sparse_realsize, non_negative(value, kInt64Max), key, value);
    } else if (key == "GNU.sparse.major" || key == "GNU.sparse.minor") {
        return store(key == "GNU.sparse.major" ? s.sparse_major : s.sparse_minor,
                     non_negative(value, std::numeric_limits<unsigned>::max()), key, value);
    } else if (key == "GNU.sparse.numblocks") {
        auto blocks = gnu_unsigned(value, std::numeric_limits<std::size_t>::max());
        if (!blocks) return invalid(key, value);
        s.sparse_blocks = *blocks;
        s.sparse_pairs = 0;
        s.sparse_regions = SparseRegions{};
    } else if (key == "GNU.sparse.offset" || key == "GNU.sparse.numbytes") {
        // Format 0.0: each numbytes completes a pair, within GNU.sparse.numblocks.
        auto number = non_negative(value, kInt64Max);
        if (!number || s.sparse_pairs >= s.sparse_blocks) return invalid(key, value);
        if (key == "GNU.sparse.numbytes") {
            ++s.sparse_pairs;
            s.sparse_regions.add(*number);
        }
    } else if (key == "GNU.sparse.map") {
        return sparse_map(s, key, value);
    }
    return std::nullopt;
}

std::optional<std::string> record(HeaderState& s, std::string_view key, std::string_view value) {
    PaxAttributes& out = s.out;
    const bool global = s.scope == PaxScope::global;
    auto text = [&](std::optional<std::string>& field) -> std::optional<std::string> {
        field = std::string(value);
        return std::nullopt;
    };
    auto decimal = [&](std::optional<std::uint64_t>& field, std::int64_t max) {
        return store(field, non_negative(value, max), key, value);
    };
    // GNU tar would give every later member this name or size; libarchive ignores global headers.
    if (global && (key == "path" || key == "linkpath" || key == "size"))
        return "ambiguous: " + std::string(key) + " in a global header";
    if (key == "path") return text(out.path);
    if (key == "linkpath") return text(out.linkpath);
    if (key == "uname") return text(out.uname);
    if (key == "gname") return text(out.gname);
    if (key == "size") return decimal(out.size, kInt64Max - 1);  // libarchive: INT64_MAX overflows
    if (key == "uid") return decimal(out.uid, kUint32Max);
    if (key == "gid") return decimal(out.gid, kUint32Max);
    if (key == "mtime") return store(out.mtime, gnu_time(value), key, value);
    if ((key == "atime" || key == "ctime") && !gnu_time(value)) return invalid(key, value);
    if (key.substr(0, 11) == "GNU.sparse.") return gnu_sparse(s, key, value);
    if (key == "GNU.volume.size" || key == "GNU.volume.offset") {
        if (!gnu_unsigned(value, std::numeric_limits<std::uint64_t>::max()))
            return invalid(key, value);
    } else if (key == "hdrcharset") {
        s.binary_names = value == "BINARY";
    } else if (key == "SUN.holesdata" && !global) {
        // libarchive: a blank, then decimal numbers separated by blanks.
        if (value.empty() || value[0] != ' ' ||
            value.find_first_not_of("0123456789 ") != std::string_view::npos)
            return invalid(key, value);
    }
    return std::nullopt;
}

// Checks that need the whole member header: libarchive converts names from UTF-8 (unless
// hdrcharset=BINARY) and reads a GNU.sparse.major/minor only as sparse format 1.0.
std::optional<std::string> finish_member(HeaderState& s) {
    const PaxAttributes& a = s.out;
    if (!s.binary_names) {
        for (const auto* name : {&a.path, &a.linkpath, &a.uname, &a.gname, &a.sparse_name}) {
            if (*name && !is_utf8(**name)) {
                const char* which = name == &a.path       ? "path"
                                    : name == &a.linkpath ? "linkpath"
                                    : name == &a.uname    ? "uname"
                                    : name == &a.gname    ? "gname"
                                                          : "GNU.sparse.name";
                return std::string(which) + " is not UTF-8";
            }
        }
    }
    if ((s.sparse_major || s.sparse_minor) &&
        (s.sparse_major.value_or(0) != 1 || s.sparse_minor.value_or(0) != 0))
        return "unsupported GNU sparse format " + std::to_string(s.sparse_major.value_or(0)) + "." +
               std::to_string(s.sparse_minor.value_or(0));
    s.out.sparse_map_in_data = s.sparse_major.has_value();
    if (s.sparse_pairs > 0) s.out.sparse_regions = s.sparse_regions;
    return std::nullopt;
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
    over(sparse_regions, other.sparse_regions);
    sparse_records |= other.sparse_records;
    sparse_map_in_data |= other.sparse_map_in_data;
}

std::optional<std::string> parse_pax(std::string_view data, PaxScope scope, PaxAttributes& out) {
    HeaderState state(scope, out);
    RecordHandler handle = [&](std::string_view key, std::string_view value) {
        return record(state, key, value);
    };
    auto problem =
        scope == PaxScope::member ? member_records(data, handle) : global_records(data, handle);
    if (problem || scope == PaxScope::global) return problem;
    return finish_member(state);
}

}  // namespace dropgate::validator::detail
