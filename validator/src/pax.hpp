// pax extended header records ("%d %s=%s\n") read as GNU tar 1.34 and bsdtar (libarchive 3.6)
// read them. A member's header ('x', Solaris 'X') is read by both; a global header ('g') only by
// GNU tar, which applies its records to every member that follows (libarchive skips it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sparse_map.hpp"

namespace dropgate::validator::detail {

enum class PaxScope { member, global };

// The pax keywords dropgate records; others (comment, SCHILY.*, LIBARCHIVE.*, unknown ones) are
// checked where a tool reads them and otherwise skipped, as both tools skip them.
struct PaxAttributes {
    std::optional<std::string> path, linkpath, uname, gname;
    std::optional<std::uint64_t> size, uid, gid;
    std::optional<std::int64_t> mtime;  // whole seconds, rounded down
    // GNU pax sparse formats 0.0/0.1 (GNU.sparse.size) and 1.0 (GNU.sparse.realsize, .name).
    std::optional<std::string> sparse_name;
    std::optional<std::uint64_t> sparse_realsize;
    bool sparse_records = false;                  // any GNU.sparse.* record
    bool sparse_map_in_data = false;              // format 1.0: the map opens the member's data
    std::optional<SparseRegions> sparse_regions;  // formats 0.0 and 0.1: the map's regions

    // Overlays `other`'s present values onto this one.
    void merge(const PaxAttributes& other);
};

// Parses a pax header's records into `out`, later records winning. Returns why either tool could
// not read the header, or nullopt: "" for a malformed record, else a detail such as
// "invalid mtime=abc", "path is not UTF-8", or "ambiguous: …" for records the two tools would read
// differently (both extract the archive, but not the same way).
std::optional<std::string> parse_pax(std::string_view data, PaxScope scope, PaxAttributes& out);

}  // namespace dropgate::validator::detail
