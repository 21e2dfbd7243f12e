// The filesystem behind both mounts: an inode table in the shape of libfuse's passthrough_hp
// (fuse_ino_t is the address of an Inode), over the backing bundles/ tree plus the uploads in
// progress, which exist only in memory and in .staging/.
#pragma once

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "backing.hpp"
#include "bundle_views.hpp"
#include "dropgate/contract/names.hpp"
#include "dropgate/fs/store.hpp"
#include "judge.hpp"
#include "quotas.hpp"
#include "remote_bundles.hpp"
#include "seek_indexer.hpp"
#include "upload.hpp"

namespace dropgate::fs {

struct BundleView;

struct Inode {
    // view: a bundle's `<bundle>.d/`; member: a node of its tree (spec §13).
    enum class Kind { root, directory, bundle, upload, view, member };
    std::atomic<Kind> kind{Kind::directory};  // an upload becomes a bundle when published

    // The path under bundles/ ("acme", "acme/host1/logs.tgz"). A publishing rename changes it
    // while other threads stat the inode, so it is swapped whole, never written in place.
    std::string rel() const { return *rel_.load(); }
    void set_rel(std::string rel) {
        rel_.store(std::make_shared<const std::string>(std::move(rel)));
    }
    // Set while the inode is an upload; cleared when it is published (open handles keep their
    // own reference). Atomic: read without the table lock while publish may clear it.
    std::atomic<std::shared_ptr<Upload>> upload_;
    std::shared_ptr<Upload> upload() const { return upload_.load(); }
    std::uint64_t nlookup = 0;  // kernel references (lookup/create minus forget)
    // A member: its bundle's view and node there (set before the kernel learns of the inode).
    std::shared_ptr<BundleView> view;
    std::uint32_t node = 0;

  private:
    std::atomic<std::shared_ptr<const std::string>> rel_{std::make_shared<const std::string>()};
};

// What fi->fh points to for a directory: its entries, read once at opendir.
struct DirListing {
    struct Entry {
        std::string name;
        mode_t mode;
        ino_t ino;
    };
    std::vector<Entry> entries;
};

// What fi->fh points to.
struct Handle {
    Inode* inode = nullptr;
    UniqueFd fd;                                   // a bundle opened for reading
    std::shared_ptr<Upload> upload;                // an upload opened by its writer
    std::uint64_t session = 0;                     // the upload's session this handle was opened in
    std::optional<objstore::RemoteObject> remote;  // a stub: the bytes are read from here
    std::unique_ptr<MemberFile> member;            // a member of a bundle's view
};

// What the kernel holds as fuse_file_info::fh (open files, open directories), owned here: one
// still open when the session ends (a file left open at unmount never gets its RELEASE) is
// freed with the store instead of leaking.
template <class T>
class KernelHandles {
  public:
    std::uint64_t add(std::unique_ptr<T> owned) {
        T* raw = owned.get();
        std::lock_guard lock(mutex_);
        owned_.emplace(raw, std::move(owned));
        return reinterpret_cast<std::uint64_t>(raw);
    }
    std::unique_ptr<T> remove(std::uint64_t fh) {
        std::lock_guard lock(mutex_);
        auto it = owned_.find(reinterpret_cast<T*>(fh));
        if (it == owned_.end()) return nullptr;
        std::unique_ptr<T> owned = std::move(it->second);
        owned_.erase(it);
        return owned;
    }

  private:
    std::mutex mutex_;
    std::unordered_map<T*, std::unique_ptr<T>> owned_;
};

class StoreFs {
  public:
    StoreFs(const config::Config& config, const MountSettings& settings);

    // Start-up repair (write mode): uploads left in staging become partials again (cut to what
    // is known durable), partial rows whose data is gone become aborted, and bundles without a
    // row are indexed (Backing::recover_bundles).
    void recover();
    // After recover(), in the background: reads the recovered partials' staged bytes back into
    // their checks one at a time, so resuming one after a restart answers its first write as
    // fast as before the restart. Returns when all are read or `stop` is requested.
    void warm_partials(std::stop_token stop);
    // Held temp-suffix uploads older than `age`, and partials older than the resume window,
    // are discarded as aborted.
    void discard_expired(std::chrono::seconds hold_age);
    // At shutdown: an upload still being written becomes partial (resumable after the restart);
    // a held one is recorded aborted and removed.
    void abandon_all(const std::string& reason);

    // One retention pass ([retention]); bundles deleted for good are dropped from the kernel's
    // cache of `session`.
    void apply_retention(fuse_session* session);

    // Starts the background work that needs threads (after daemonizing).
    void start_background();

    static fuse_lowlevel_ops operations();

    // FUSE operations (one reply each).
    void init(fuse_conn_info* conn);
    void lookup(fuse_req_t req, fuse_ino_t parent, const char* name);
    void forget(fuse_ino_t ino, std::uint64_t nlookup);
    void getattr(fuse_req_t req, fuse_ino_t ino);
    void setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi);
    void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
    void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi);
    void releasedir(fuse_req_t req, fuse_file_info* fi);
    void mkdir(fuse_req_t req, fuse_ino_t parent, const char* name);
    void unlink(fuse_req_t req, fuse_ino_t parent, const char* name);
    void rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
                const char* newname, unsigned flags);
    void create(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_file_info* fi);
    void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
    void read(fuse_req_t req, size_t size, off_t offset, fuse_file_info* fi);
    void write(fuse_req_t req, const char* data, size_t size, off_t offset, fuse_file_info* fi);
    void flush(fuse_req_t req, fuse_file_info* fi);
    void release(fuse_req_t req, fuse_file_info* fi);
    void fsync(fuse_req_t req, fuse_file_info* fi);
    void statfs(fuse_req_t req);
    void setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size);
    void readlink(fuse_req_t req, fuse_ino_t ino);
    void getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
    void listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
    void refuse_write(fuse_req_t req);  // link, symlink, mknod, rmdir, removexattr

  private:
    Inode* inode_of(fuse_ino_t ino);
    // Views (views.cpp): the inode of `name` inside a view or one of its directories, or the
    // view `name` names beside a bundle in `parent`; 0 or the errno.
    int lookup_in_view(Inode& parent, const std::string& name, Inode*& found);
    Inode* view_beside_bundle(Inode& parent, const std::string& name);
    Inode& intern_member(const std::shared_ptr<BundleView>& view, std::uint32_t node);
    // The view a view or member inode belongs to, and the tree node it is (null if gone).
    std::shared_ptr<BundleView> view_of(const Inode& inode, std::uint32_t& node);
    int stat_view_inode(Inode& inode, struct stat* st);
    int list_view(const Inode& inode, DirListing& listing);
    int open_member(Inode& inode, bool writing, Handle& handle);
    void read_member(fuse_req_t req, Handle& handle, size_t size, off_t offset);
    bool in_view(const Inode& inode) const {
        return inode.kind == Inode::Kind::view || inode.kind == Inode::Kind::member;
    }
    int open_remote(Handle& handle);
    void read_remote(fuse_req_t req, Handle& handle, size_t size, off_t offset);
    double timeout_for(const Inode& inode) const;
    int list_backing(int dir_fd, DirListing& listing);
    void list_uploads(fuse_req_t req, const std::string& dir, DirListing& listing);
    int stat_inode(Inode& inode, struct stat* st);
    void reply_entry(fuse_req_t req, Inode& inode, const struct stat& st);
    // A new inode for an upload at `rel`, listed among the live uploads; `nlookup`: the kernel's
    // references (1 after create, 0 for a partial found at start-up).
    Inode& adopt(const std::shared_ptr<Upload>& upload, const std::string& rel,
                 std::uint64_t nlookup);
    // Bundles and directories have one Inode per path; call with table_mutex_ held.
    Inode& intern(Inode::Kind kind, const std::string& rel);
    // The live upload named `rel` that `req`'s caller may see, if any (table_mutex_ held).
    Inode* visible_upload(fuse_req_t req, const std::string& rel);
    // The upload at `rel` if the requester is its writer (takes the table lock), else null.
    std::shared_ptr<Upload> writers_upload(fuse_req_t req, const std::string& rel);
    // Unlink/rename of something that is not the requester's upload: EACCES for a published
    // bundle (immutable), ENOENT for nothing.
    void reply_not_an_upload(fuse_req_t req, const std::string& rel);
    bool is_writer(fuse_req_t req, const Upload& upload) const;
    std::string child_rel(const Inode& parent, const std::string& name) const;
    std::vector<std::pair<std::string, std::string>> attributes(Inode& inode);

    // Outcomes of an upload; each is called with upload.mutex held, commits the row, logs,
    // and returns the errno for close() (0 for accepted/held).
    int conclude(Upload& upload);
    // The verdict became known while the data still arrives (a write failed, or the check
    // refused what it has seen): commit it now, once; later writes and the close get its errno.
    int fail_fast(Upload& upload);
    int refuse_for_write_error(Upload& upload);
    // What a write growing `upload` to `end` would break of its customer's quota: sets the
    // upload's write error (EDQUOT) and reason, or returns false (quotas.cpp).
    bool over_quota(Upload& upload, std::uint64_t end);
    // Whether growing `upload` to `end` would leave less than the free-space reserve: sets the
    // upload's write error (ENOSPC, "disk full"), or returns false (upload_space.cpp).
    bool short_of_space(Upload& upload, std::uint64_t end);
    // setxattr of user.dropgate.expected_size: 0, or the refusal's errno (the verdict is
    // committed, fail fast); EINVAL for a value that is not a size. upload.mutex held.
    int announced_size(Upload& upload, const std::string& text);
    int publish(Upload& upload, const std::string& path);
    int refuse(Upload& upload, int error, const std::string& reason);
    int abort(Upload& upload, const std::string& reason);
    // No verdict, but data to keep: the upload becomes partial for its owner to resume
    // (an empty one is aborted). Returns ECANCELED for the close that ended it.
    int suspend(Upload& upload, const std::string& reason);
    // An open of an upload's inode: its writer's own, or the owner resuming a partial
    // (`truncate`: starting it over). 0 or the errno to refuse it with.
    int open_upload(fuse_req_t req, Upload& upload, bool writing, bool truncate);
    index::UploadRecord row_for(const Upload& upload, index::UploadState status,
                                const std::string& reason) const;
    void forget_live(Upload& upload, const std::string* published_rel);
    // Start-up (recovery.cpp): a staged file becomes a partial again (returns its row's id) or
    // is discarded as aborted.
    std::optional<std::string> recover_partial(StagedFile& file);
    void discard_staged(const StagedFile& file);

    const config::Config& config_;
    const MountSettings settings_;
    const contract::NamePolicy names_;
    Backing backing_;
    Judge judge_;
    std::unique_ptr<RemoteBundles> remote_;      // with [replicate]: stubs and retention
    std::unique_ptr<SeekIndexer> seek_indexer_;  // write mode: each accepted bundle's seek index
    BundleViews views_;
    Quotas quotas_;

    std::mutex table_mutex_;  // lock order: Upload::mutex before table_mutex_
    Inode root_;
    std::unordered_map<Inode*, std::unique_ptr<Inode>> inodes_;
    std::unordered_map<std::string, Inode*> by_path_;
    std::unordered_map<Upload*, Inode*> live_;  // uploads writing or held
    // Last: their handles point into the inodes and uploads above.
    KernelHandles<Handle> handles_;
    KernelHandles<DirListing> listings_;
};

}  // namespace dropgate::fs
