// Searching inside bundles (spec §13 `dropgate grep`): the members to search are chosen from the
// index first (a GLOB on their paths, the bundles by customer and time), so only those are
// inflated, each from the nearest seek point; bundles (or slices of a big one) are searched in
// parallel on the available cores, results printed in index order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "dropgate/config/config.hpp"
#include "dropgate/index/index.hpp"

namespace dropgate::inside {

struct GrepOptions {
    std::string pattern;            // a POSIX basic regular expression, as grep takes it
    std::string member_glob = "*";  // SQLite GLOB over member paths
    index::UploadFilter filter;     // status is set to accepted
    bool ignore_case = false;
    bool members_only = false;  // -l: each matching member once
    unsigned threads = 0;       // 0: one per core
};

struct GrepMatch {
    std::string customer, bundle, member;
    std::uint64_t line = 0;  // 1-based; 0 with members_only
    std::string text;        // the line without its newline
};

struct GrepSummary {
    std::uint64_t members = 0, matches = 0, inflated = 0;
    std::uint64_t errors = 0;  // members that could not be read (each reported to `error`)
};

// Calls `match` for each match, in index order, from the calling thread; `error` for each
// member that cannot be read. Throws std::invalid_argument for a bad pattern.
GrepSummary grep(const config::Config& config, const GrepOptions& options,
                 const std::function<void(const GrepMatch&)>& match,
                 const std::function<void(const std::string&)>& error);

}  // namespace dropgate::inside
