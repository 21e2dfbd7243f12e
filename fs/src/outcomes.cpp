// How an upload ends: published (accepted), held (a judged temp-suffix name), refused
// (rejected) or aborted. Each outcome commits its index row and logs one line.
#include <cerrno>
#include <chrono>
#include <cstring>

#include "dropgate/base/log.hpp"
#include "dropgate/contract/names.hpp"
#include "dropgate/contract/refusals.hpp"
#include "store_fs.hpp"
#include "store_metrics.hpp"
#include "xattrs.hpp"

namespace dropgate::fs {

namespace {

// Logs and counts how an upload ended; `upload` gives the close time for the verdict latency.
void log_outcome(const index::UploadRecord& row, int error, const Upload& upload) {
    nlohmann::ordered_json fields = {{"upload_id", row.upload_id},
                                     {"customer", row.customer},
                                     {"path", row.path},
                                     {"remote", row.remote},
                                     {"bytes", row.bytes}};
    if (!row.sha256.empty()) fields["sha256"] = row.sha256;
    if (row.status == index::UploadState::accepted) fields["members"] = row.member_count;
    if (!row.reason.empty()) fields["reason"] = row.reason;
    if (error) fields["errno"] = std::strerror(error);
    fields["duration_s"] = std::chrono::duration<double>(row.finished_at - row.started_at).count();
    std::string event = "upload_" + std::string(contract::to_string(row.status));
    if (row.status == index::UploadState::accepted)
        log::info(event, fields);
    else
        log::warn(event, fields);
    store_metrics::upload_finished(row.status, row.bytes);
    if (upload.close_seen != std::chrono::steady_clock::time_point{})
        store_metrics::verdict_latency(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - upload.close_seen)
                .count());
}

}  // namespace

int StoreFs::refuse_for_write_error(Upload& upload) {
    const int error = upload.write_error;
    if (!upload.write_reason.empty()) return refuse(upload, error, upload.write_reason);
    std::string reason = error == ENOSPC ? contract::disk_full()
                         : error == EFBIG
                             ? contract::bundle_too_large(judge_.limits().max_bundle_size)
                             : std::string("write failed: ") + std::strerror(error);
    return refuse(upload, error, reason);
}

int StoreFs::fail_fast(Upload& upload) {
    upload.close_seen = std::chrono::steady_clock::now();
    if (upload.write_error) return refuse_for_write_error(upload);
    const auto& verdict = upload.judge();  // cheap: after a refusal the check only hashes
    return refuse(upload, verdict.error ? verdict.error : EBADMSG, verdict.reason);
}

int StoreFs::conclude(Upload& upload) {
    upload.close_seen = std::chrono::steady_clock::now();
    if (upload.write_error) return refuse_for_write_error(upload);
    // The fsync of the dirty tail runs while the check finishes its last few MiB: the close
    // then waits for the longer of the two, not their sum. A refused upload's fsync is wasted
    // (it is removed anyway) but not waited for.
    upload.start_sync();
    const auto judge_start = std::chrono::steady_clock::now();
    const auto& verdict = upload.judge();
    upload.judge_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - judge_start).count();
    if (!verdict.accepted)
        return refuse(upload, verdict.error ? verdict.error : EBADMSG, verdict.reason);
    switch (names_.classify(contract::base_name(upload.path))) {
        case contract::NameKind::bundle:
            return publish(upload, upload.path);
        case contract::NameKind::temporary:
            upload.state = Upload::State::held;
            upload.held_since = std::chrono::steady_clock::now();
            log::info("upload_held", {{"upload_id", upload.id},
                                      {"customer", upload.customer},
                                      {"path", upload.path},
                                      {"bytes", verdict.bytes},
                                      {"sha256", verdict.sha256}});
            return 0;
        case contract::NameKind::refused:
            break;
    }
    return refuse(upload, EACCES, names_.refusal(contract::base_name(upload.path)));
}

int StoreFs::publish(Upload& upload, const std::string& path) {
    const std::string rel = upload.customer + "/" + path;
    {
        std::lock_guard lock(table_mutex_);
        upload.path = path;
        if (auto live = live_.find(&upload); live != live_.end()) live->second->set_rel(rel);
    }
    auto row = row_for(upload, index::UploadState::accepted, "");
    xattr::store(upload.fd(), xattr::bundle_attributes(row));  // best effort: the row is the truth
    const auto publish_start = std::chrono::steady_clock::now();
    if (int error = backing_.publish(upload, rel)) {
        if (error == EEXIST) return refuse(upload, EEXIST, contract::already_exists(rel));
        if (error == ENOSPC) return refuse(upload, ENOSPC, contract::disk_full());
        return refuse(upload, error, std::string("could not publish: ") + std::strerror(error));
    }
    try {
        judge_.record(row, &upload.members(), upload.partial_row);
    } catch (const std::exception& e) {
        // The bundle is complete and durable; start-up indexing repairs the missing row.
        log::error("index_commit_failed", {{"upload_id", row.upload_id}, {"error", e.what()}});
    }
    upload.state = Upload::State::published;
    if (seek_indexer_) seek_indexer_->enqueue(row);
    log::debug("verdict_timing",
               {{"upload_id", row.upload_id},
                {"judge_ms", upload.judge_seconds * 1e3},
                {"pwrite_ms", upload.waits.pwrite_ms},
                {"inline_ms", upload.waits.inline_ms},
                {"backlog_wait_ms", upload.waits.backlog_ms},
                {"writeback_wait_ms", upload.waits.writeback_ms},
                {"datasync_ms", upload.waits.datasync_ms},
                {"publish_ms", std::chrono::duration<double, std::milli>(
                                   std::chrono::steady_clock::now() - publish_start)
                                   .count()}});
    quotas_.published(upload.customer);  // before it leaves the live uploads
    forget_live(upload, &rel);
    log_outcome(row, 0, upload);
    return 0;
}

int StoreFs::refuse(Upload& upload, int error, const std::string& reason) {
    backing_.remove_staging(upload.id);
    upload.state = Upload::State::refused;
    upload.verdict.error = error;
    upload.verdict.reason = reason;
    auto row = row_for(upload, index::UploadState::rejected, reason);
    try {
        judge_.record(row, nullptr, upload.partial_row);
    } catch (const std::exception& e) {
        log::error("index_commit_failed", {{"upload_id", row.upload_id}, {"error", e.what()}});
    }
    forget_live(upload, nullptr);
    log_outcome(row, error, upload);
    return error;
}

int StoreFs::abort(Upload& upload, const std::string& reason) {
    backing_.remove_staging(upload.id);
    upload.state = Upload::State::aborted;
    auto row = row_for(upload, index::UploadState::aborted, reason);
    try {
        judge_.record(row, nullptr, upload.partial_row);
    } catch (const std::exception& e) {
        log::error("index_commit_failed", {{"upload_id", row.upload_id}, {"error", e.what()}});
    }
    forget_live(upload, nullptr);
    log_outcome(row, 0, upload);
    return ECANCELED;
}

// The upload leaves the staging listing; a published one becomes the bundle at its path.
void StoreFs::forget_live(Upload& upload, const std::string* published_rel) {
    std::lock_guard lock(table_mutex_);
    auto live = live_.find(&upload);
    if (live == live_.end()) return;
    Inode* inode = live->second;
    live_.erase(live);
    if (published_rel) {
        if (inode->rel() != *published_rel) inode->set_rel(*published_rel);
        inode->kind = Inode::Kind::bundle;
        // The bundle is served from bundles/ now; open handles keep the upload (staging fd,
        // check) alive only as long as they need it, not as long as the kernel caches the inode.
        inode->upload_.store(nullptr);
        by_path_[*published_rel] = inode;
    }
    if (inode->nlookup == 0) {
        auto path = by_path_.find(inode->rel());
        if (path != by_path_.end() && path->second == inode) by_path_.erase(path);
        inodes_.erase(inode);
    }
}

}  // namespace dropgate::fs
