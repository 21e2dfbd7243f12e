// Interrupted uploads kept for resume (spec §4 "Resume"), on the StoreFs side: an upload that
// ends without a verdict becomes partial, its owner resumes it by opening it for writing, and
// the uploads that waited too long — held temp names, partials past the resume window — are
// discarded. What the store keeps of a partial across its own restart: store_fs.hpp recover().
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

#include "dropgate/base/log.hpp"
#include "proc.hpp"
#include "store_fs.hpp"
#include "store_metrics.hpp"

namespace dropgate::fs {

int StoreFs::suspend(Upload& upload, const std::string& reason) {
    if (upload.suspend() == 0) return abort(upload, reason);  // nothing to resume
    upload.state = Upload::State::partial;
    auto row = row_for(upload, index::UploadState::partial, reason);
    try {
        judge_.record(row, nullptr, upload.partial_row);
        upload.partial_row = row.upload_id;
    } catch (const std::exception& e) {
        log::error("index_commit_failed", {{"upload_id", row.upload_id}, {"error", e.what()}});
    }
    store_metrics::upload_interrupted();
    log::warn("upload_partial", {{"upload_id", row.upload_id},
                                 {"customer", row.customer},
                                 {"path", row.path},
                                 {"bytes", row.bytes},
                                 {"reason", reason}});
    return ECANCELED;
}

int StoreFs::open_upload(fuse_req_t req, Upload& upload, bool writing, bool truncate) {
    std::lock_guard lock(upload.mutex);
    auto state = upload.state.load();
    if (state == Upload::State::writing) return is_writer(req, upload) ? 0 : EACCES;
    // Anyone who reaches the name (its owner: customers see only their own directory) may
    // continue a partial by opening it for writing; reading it is never allowed.
    if (state != Upload::State::partial || !writing) return EACCES;
    const std::uint64_t had = upload.size();
    upload.resume(thread_group_of(fuse_req_ctx(req)->pid));
    if (truncate && upload.truncate(0) != 0) return EIO;
    log::info("upload_resumed", {{"upload_id", upload.partial_row},
                                 {"customer", upload.customer},
                                 {"path", upload.path},
                                 {"at", truncate ? 0 : had},
                                 {"started_over", truncate}});
    return 0;
}

void StoreFs::discard_expired(std::chrono::seconds hold_age) {
    const auto now = std::chrono::steady_clock::now();
    const auto window = config_.store.resume_window;
    auto expired = [&](const Upload& upload) {
        auto state = upload.state.load();
        return (state == Upload::State::held && now - upload.held_since > hold_age) ||
               (state == Upload::State::partial && now - upload.partial_since > window);
    };
    std::vector<std::shared_ptr<Upload>> due;
    {
        std::lock_guard lock(table_mutex_);
        for (auto& [upload, inode] : live_)
            if (expired(*upload)) due.push_back(inode->upload());
    }
    for (auto& upload : due) {
        std::lock_guard lock(upload->mutex);
        if (!expired(*upload)) continue;  // resumed or renamed meanwhile
        abort(*upload, upload->state.load() == Upload::State::held
                           ? "held under a temporary name and not renamed in time"
                           : "not resumed within resume_window");
    }
}

void StoreFs::warm_partials(std::stop_token stop) {
    // Steps, not one read per upload: a resumption or the expiry reaper waits at most one step
    // for the upload's lock, and a stop is honoured within one step.
    constexpr std::uint64_t kStep = 64ull << 20;
    // Live uploads come first: the check threads it starts inherit this thread's nice value.
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
    std::vector<std::shared_ptr<Upload>> partials;
    {
        std::lock_guard lock(table_mutex_);
        for (auto& [upload, inode] : live_)
            if (upload->state.load() == Upload::State::partial) partials.push_back(inode->upload());
    }
    const auto start = std::chrono::steady_clock::now();
    for (auto& upload : partials) {
        while (!stop.stop_requested()) {
            std::lock_guard lock(upload->mutex);
            if (upload->warm_step(kStep)) break;
        }
    }
    if (!partials.empty() && !stop.stop_requested())
        log::info(
            "partials_warm",
            {{"partials", partials.size()},
             {"seconds",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}});
}

void StoreFs::abandon_all(const std::string& reason) {
    std::vector<std::shared_ptr<Upload>> live;
    {
        std::lock_guard lock(table_mutex_);
        for (auto& [upload, inode] : live_) live.push_back(inode->upload());
    }
    for (auto& upload : live) {
        std::lock_guard lock(upload->mutex);
        auto state = upload->state.load();
        if (state == Upload::State::writing) suspend(*upload, reason);  // resumable after restart
        if (state == Upload::State::held) abort(*upload, reason);
    }
}

}  // namespace dropgate::fs
