// pax extended header records ("%d %s=%s\n") and the tar numeric field encodings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dropgate::validator::detail {

// The pax keywords dropgate records; others (atime, ctime, SCHILY.*, LIBARCHIVE.*) are skipped.
struct PaxAttributes {
    std::optional<std::string> path, linkpath, uname, gname;
    std::optional<std::uint64_t> size, uid, gid;
    std::optional<std::int64_t> mtime;
    // GNU pax sparse formats 0.0/0.1 (GNU.sparse.size) and 1.0 (GNU.sparse.realsize, .name).
    std::optional<std::string> sparse_name;
    std::optional<std::uint64_t> sparse_realsize;

    // Overlays `other`'s present values onto this one.
    void merge(const PaxAttributes& other);
};

// Parses a pax extended header's data into `out` (later records win). Returns false if the
// records are malformed or a value of a known numeric keyword is not a number.
bool parse_pax(std::string_view data, PaxAttributes& out);

// A numeric header field: octal (leading spaces, terminated by space or NUL; all-NUL or blank is
// 0) or GNU/star base-256 (first byte 0x80 positive, 0xff negative). nullopt if malformed.
std::optional<std::int64_t> parse_numeric(const std::uint8_t* field, std::size_t size);

// A NUL-terminated string field of at most `size` bytes.
std::string_view parse_string(const std::uint8_t* field, std::size_t size);

}  // namespace dropgate::validator::detail
