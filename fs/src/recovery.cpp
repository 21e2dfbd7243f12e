// Start-up after a stop or a crash: what the store finds in staging is an upload that never got
// its verdict, so it becomes a partial again for its owner to resume (spec §4 "Resume"), cut to
// the bytes known durable (a crash may have lost the tail that was never fdatasync'ed). What
// cannot be resumed — no target, an unknown customer, a refused name, nothing durable — is
// recorded aborted and removed, and a partial row whose staged data is gone becomes aborted.
#include <unistd.h>

#include <set>

#include "dropgate/base/log.hpp"
#include "store_fs.hpp"

namespace dropgate::fs {

namespace {

bool valid_path(const std::string& path) {
    for (std::size_t start = 0; start <= path.size();) {
        std::size_t slash = path.find('/', start);
        if (slash == std::string::npos) slash = path.size();
        if (!contract::is_valid_component(std::string_view(path).substr(start, slash - start)))
            return false;
        start = slash + 1;
    }
    return true;
}

}  // namespace

void StoreFs::recover() {
    std::set<std::string> kept;
    for (auto& file : backing_.staged_files()) {
        if (auto row = recover_partial(file))
            kept.insert(*row);
        else
            discard_staged(file);
    }
    for (auto& row : judge_.partial_rows()) {
        if (kept.count(row.upload_id)) continue;
        const std::string continues = row.upload_id;
        row.status = index::UploadState::aborted;
        row.reason = "its staged data was gone when the store started";
        row.finished_at = index::Clock::now();
        judge_.record(row, nullptr, continues);
        log::warn("upload_aborted", {{"upload_id", row.upload_id}, {"reason", row.reason}});
    }
    backing_.recover_bundles(judge_);
}

std::optional<std::string> StoreFs::recover_partial(StagedFile& file) {
    auto customers = config_.customers();
    const bool known =
        std::find(customers.begin(), customers.end(), file.customer) != customers.end();
    if (!file.fd || !known || !valid_path(file.path) ||
        names_.classify(contract::base_name(file.path)) == contract::NameKind::refused)
        return std::nullopt;
    const std::uint64_t keep = std::min(file.durable, file.size);
    if (keep == 0 || ::ftruncate(file.fd.get(), static_cast<off_t>(keep)) != 0) return std::nullopt;
    auto upload = std::make_shared<Upload>(file.id, file.customer, file.path, std::move(file.fd),
                                           judge_, keep);
    if (file.upload_id != file.id) upload->tag_upload_id = file.upload_id;
    upload->tag_remote = file.remote;
    if (auto earlier = judge_.find_upload(file.upload_id)) upload->started_at = earlier->started_at;
    auto row = row_for(*upload, index::UploadState::partial, "kept across a store restart");
    try {
        judge_.record(row, nullptr, file.upload_id);
    } catch (const std::exception& e) {
        log::error("index_commit_failed", {{"upload_id", row.upload_id}, {"error", e.what()}});
        return std::nullopt;
    }
    upload->partial_row = row.upload_id;
    adopt(upload, file.customer + "/" + file.path, 0);
    log::warn("upload_partial", {{"upload_id", row.upload_id},
                                 {"customer", file.customer},
                                 {"path", file.path},
                                 {"bytes", keep},
                                 {"reason", row.reason}});
    return row.upload_id;
}

void StoreFs::discard_staged(const StagedFile& file) {
    index::UploadRecord row;
    row.upload_id = file.upload_id;
    row.customer = file.customer;
    row.path = file.path;
    row.remote = file.remote;
    row.bytes = file.size;
    row.started_at = row.finished_at = index::Clock::now();
    row.status = index::UploadState::aborted;
    row.reason = "store restarted before the upload finished, and it cannot be resumed";
    backing_.remove_staging(file.id);
    try {
        judge_.record(row, nullptr, file.upload_id);
    } catch (const std::exception& e) {
        log::error("index_commit_failed", {{"upload_id", row.upload_id}, {"error", e.what()}});
    }
    log::warn("upload_aborted", {{"upload_id", row.upload_id},
                                 {"customer", row.customer},
                                 {"path", row.path},
                                 {"bytes", row.bytes},
                                 {"reason", row.reason}});
}

}  // namespace dropgate::fs
