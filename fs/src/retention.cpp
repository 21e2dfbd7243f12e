// The retention pass (spec §12 [retention]): a local copy goes only once its object is
// confirmed again right now (HEAD: size and the sha256 metadata), and a bundle past
// delete_after goes from both places, its rows kept as a tombstone.
#include <cstring>

#include "dropgate/base/log.hpp"
#include "remote_bundles.hpp"
#include "store_fs.hpp"

namespace dropgate::fs {

namespace {

using Clock = index::Clock;

std::string rel_of(const index::Replica& replica) {
    return replica.customer + "/" + replica.path;
}

void log_failure(const index::Replica& replica, int error) {
    log::error(
        "retention_failed",
        {{"customer", replica.customer}, {"path", replica.path}, {"error", std::strerror(error)}});
}

}  // namespace

void RemoteBundles::remove_local_copy(Backing& backing, const index::Replica& replica) {
    auto info = retention_client_.head(replica.object_key);
    if (!info || info->size != replica.bytes || info->sha256 != replica.sha256) {
        log::error("retention_kept_local",
                   {{"customer", replica.customer},
                    {"path", replica.path},
                    {"key", replica.object_key},
                    {"reason", info ? "the object's size or sha256 differs"
                                    : "the object is gone; run dropgate verify --remote"}});
        return;
    }
    if (int error = backing.replace_with_stub(rel_of(replica))) return log_failure(replica, error);
    retention_replicas_->local_removed(replica.upload, Clock::now());
    log::info("local_copy_removed", {{"customer", replica.customer},
                                     {"path", replica.path},
                                     {"key", replica.object_key},
                                     {"bytes", replica.bytes}});
}

bool RemoteBundles::delete_everywhere(Backing& backing, const index::Replica& replica) {
    retention_client_.remove(replica.object_key);
    if (int error = backing.remove_bundle(rel_of(replica))) {
        log_failure(replica, error);
        return false;
    }
    retention_replicas_->deleted(replica.upload, Clock::now());
    log::info("bundle_deleted", {{"customer", replica.customer},
                                 {"path", replica.path},
                                 {"key", replica.object_key},
                                 {"reason", "delete_after"}});
    return true;
}

void RemoteBundles::apply_retention(Backing& backing,
                                    const std::function<void(const std::string&)>& deleted) {
    const auto& retention = config_.retention;
    if (!retention_replicas_) return;
    try {
        if (retention.delete_after)
            for (const auto& replica :
                 retention_replicas_->accepted_before(Clock::now() - *retention.delete_after))
                if (delete_everywhere(backing, replica)) deleted(rel_of(replica));
        if (retention.keep_local)
            for (const auto& replica : retention_replicas_->local_copies_replicated_before(
                     Clock::now() - *retention.keep_local))
                remove_local_copy(backing, replica);
    } catch (const std::exception& e) {  // object storage or the index unreachable: next pass
        log::warn("retention_pass_failed", {{"error", e.what()}});
    }
}

void StoreFs::apply_retention(fuse_session* session) {
    if (!remote_) return;
    remote_->apply_retention(backing_, [&](const std::string& rel) {
        // The kernel keeps bundle entries for a day (they never change): tell it this one went.
        auto slash = rel.rfind('/');
        const std::string parent = rel.substr(0, slash), name = rel.substr(slash + 1);
        fuse_ino_t parent_ino = 0;
        {
            std::lock_guard lock(table_mutex_);
            auto found = by_path_.find(parent);
            if (found != by_path_.end()) parent_ino = reinterpret_cast<fuse_ino_t>(found->second);
        }
        if (parent_ino && session)
            fuse_lowlevel_notify_inval_entry(session, parent_ino, name.c_str(), name.size());
    });
}

}  // namespace dropgate::fs
