// Store/index consistency (`dropgate verify`): every accepted row has its file under
// root/bundles/<customer>/<path> with the recorded size and SHA-256, every file there has an
// accepted row, and nothing is left in root/.staging but the partials (interrupted uploads kept
// for resume, with their `partial` row).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "dropgate/index/index.hpp"

namespace dropgate::index {

enum class ProblemKind { missing, size_mismatch, sha256_mismatch, orphan, staging_leftover };
std::string_view to_string(ProblemKind kind);  // "missing", "size mismatch", ...

struct Problem {
    ProblemKind kind = ProblemKind::missing;
    std::string name;    // "acme/logs.tgz" for bundles, ".staging/<entry>" for staging
    std::string detail;  // what was expected and found
    bool repaired = false;
};

struct VerifySummary {
    std::uint64_t bundles_checked = 0;  // accepted rows looked at
    std::uint64_t files_seen = 0;       // files found under bundles/
    std::uint64_t partials = 0;         // interrupted uploads in staging, kept for resume
    std::uint64_t remote_only = 0;      // stubs: bundles whose bytes are only in object storage
    std::uint64_t problems = 0;
    std::uint64_t repaired = 0;
};

// Checks the store against the index and calls `report` once per problem, as found.
// With repair: staging leftovers are removed (and recorded `aborted` when no row has their
// upload id), accepted rows whose file is gone get `missing_since` (cleared again when the file
// is back). Bundle files are never deleted or changed, orphans are only reported.
// Run --repair with the store stopped: a staging entry of an upload in progress looks the same
// as a leftover.
VerifySummary verify_store(Index& index, const std::filesystem::path& store_root, bool repair,
                           const std::function<void(const Problem&)>& report);

}  // namespace dropgate::index
