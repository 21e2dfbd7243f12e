#include "dropgate/index/verify.hpp"

#include <sys/stat.h>
#include <sys/xattr.h>

#include <system_error>
#include <unordered_set>

#include "dropgate/base/time.hpp"
#include "dropgate/contract/layout.hpp"
#include "dropgate/contract/xattrs.hpp"
#include "dropgate/validator/sha256.hpp"

namespace dropgate::index {

namespace fs = std::filesystem;

std::string_view to_string(ProblemKind kind) {
    switch (kind) {
        case ProblemKind::missing:
            return "missing";
        case ProblemKind::size_mismatch:
            return "size mismatch";
        case ProblemKind::sha256_mismatch:
            return "sha256 mismatch";
        case ProblemKind::orphan:
            return "orphan";
        case ProblemKind::staging_leftover:
            return "staging leftover";
    }
    return "problem";
}

namespace {

struct Checker {
    Index& index;
    contract::Layout layout;
    bool repair;
    const std::function<void(const Problem&)>& report;
    VerifySummary summary;

    void problem(ProblemKind kind, std::string name, std::string detail, bool repaired) {
        ++summary.problems;
        if (repaired) ++summary.repaired;
        report(Problem{kind, std::move(name), std::move(detail), repaired});
    }

    // Accepted rows against their files; returns the names seen, for the orphan pass.
    std::unordered_set<std::string> check_rows() {
        std::unordered_set<std::string> names;
        UploadFilter accepted;
        accepted.status = UploadState::accepted;
        for (const auto& row : index.uploads(accepted)) {
            ++summary.bundles_checked;
            std::string name = row.customer + "/" + row.path;
            names.insert(name);
            auto location = index.location_of(row.id);
            if (location == "deleted") continue;  // a tombstone: removed by delete_after
            fs::path file = layout.bundle(row.customer, row.path);
            struct stat st {};
            if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
                std::string detail = "upload " + row.upload_id + ", " + std::to_string(row.bytes) +
                                     " bytes, no file at " + file.string();
                if (row.missing_since)
                    detail += "; marked missing since " + format_timestamp(*row.missing_since);
                bool repaired = false;
                if (repair && !row.missing_since) {
                    auto now = Clock::now();
                    index.mark_missing(row.id, now);
                    detail += "; marked missing since " + format_timestamp(now);
                    repaired = true;
                }
                problem(ProblemKind::missing, name, detail, repaired);
                continue;
            }
            if (contract::is_stub(st.st_mode) && location != "remote") {
                problem(ProblemKind::missing, name,
                        "a stub (bytes in object storage) but the index says the bundle is " +
                            location.value_or("not replicated"),
                        false);
                continue;
            }
            if (static_cast<std::uint64_t>(st.st_size) != row.bytes) {
                problem(ProblemKind::size_mismatch, name,
                        "recorded " + std::to_string(row.bytes) + " bytes, file has " +
                            std::to_string(st.st_size),
                        false);
            } else if (contract::is_stub(st.st_mode)) {
                ++summary.remote_only;  // its object is checked by verify --remote
            } else if (std::string sha = validator::sha256_file(file); sha != row.sha256) {
                problem(ProblemKind::sha256_mismatch, name,
                        "recorded " + row.sha256 + ", file has " + sha, false);
            }
            if (repair && row.missing_since) index.clear_missing(row.id);  // the file is back
        }
        return names;
    }

    void check_orphans(const std::unordered_set<std::string>& names) {
        fs::path bundles = layout.bundles();
        std::error_code ec;
        if (!fs::exists(bundles, ec)) return;
        for (auto it = fs::recursive_directory_iterator(bundles); it != fs::end(it); ++it) {
            if (it->is_directory() && !it->is_symlink()) continue;
            ++summary.files_seen;
            std::string name = fs::relative(it->path(), bundles).generic_string();
            if (!names.contains(name))
                problem(ProblemKind::orphan, name,
                        "file without an accepted index row (" +
                            std::to_string(it->is_regular_file() ? it->file_size() : 0) +
                            " bytes); left in place",
                        false);
        }
    }

    bool is_partial(const fs::path& file, const std::string& name) {
        char tag[256];
        ssize_t n = ::getxattr(file.c_str(), contract::xattr::kUploadId, tag, sizeof tag);
        auto row = index.find_upload_id(n > 0 ? std::string(tag, std::size_t(n)) : name);
        return row && row->status == UploadState::partial;
    }

    void check_staging() {
        fs::path staging = layout.staging();
        std::error_code ec;
        if (!fs::exists(staging, ec)) return;
        for (const auto& entry : fs::directory_iterator(staging)) {
            std::string upload_id = entry.path().filename().string();
            // An interrupted upload kept for resume is staging's business, not a leftover.
            if (is_partial(entry.path(), upload_id)) {
                ++summary.partials;
                continue;
            }
            std::string name = std::string(contract::kStagingDir) + "/" + upload_id;
            std::uint64_t size = entry.is_regular_file() ? entry.file_size() : 0;
            std::string detail = std::to_string(size) + " bytes";
            bool repaired = false;
            if (repair) {
                if (!index.find_upload_id(upload_id)) {
                    UploadRecord aborted;
                    aborted.upload_id = upload_id;
                    aborted.remote = "";
                    struct stat st {};
                    auto now = Clock::now();
                    aborted.started_at = ::lstat(entry.path().c_str(), &st) == 0
                                             ? Clock::from_time_t(st.st_mtime)
                                             : now;
                    aborted.finished_at = now;
                    aborted.bytes = size;
                    aborted.status = UploadState::aborted;
                    aborted.reason = "staging leftover removed by dropgate verify --repair";
                    index.record(aborted);
                    detail += "; recorded aborted";
                }
                fs::remove_all(entry.path());
                detail += "; removed";
                repaired = true;
            }
            problem(ProblemKind::staging_leftover, name, detail, repaired);
        }
    }
};

}  // namespace

VerifySummary verify_store(Index& index, const fs::path& store_root, bool repair,
                           const std::function<void(const Problem&)>& report) {
    Checker checker{index, contract::Layout(store_root), repair, report, {}};
    auto names = checker.check_rows();
    checker.check_orphans(names);
    checker.check_staging();
    return checker.summary;
}

}  // namespace dropgate::index
