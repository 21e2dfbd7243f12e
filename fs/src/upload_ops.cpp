// The upload side of StoreFs: create, write, the close-time verdict in flush, rename-to-publish,
// and what happens to uploads that end any other way.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include "dropgate/base/ids.hpp"
#include "dropgate/base/log.hpp"
#include "dropgate/contract/layout.hpp"
#include "dropgate/contract/names.hpp"
#include "dropgate/contract/refusals.hpp"
#include "proc.hpp"
#include "store_fs.hpp"
#include "store_metrics.hpp"
#include "xattrs.hpp"

namespace dropgate::fs {

namespace {

Handle& handle_of(fuse_file_info* fi) {
    return *reinterpret_cast<Handle*>(fi->fh);
}

}  // namespace

void StoreFs::create(fuse_req_t req, fuse_ino_t parent_ino, const char* name, fuse_file_info* fi) {
    if (settings_.read_only) return (void)fuse_reply_err(req, EROFS);
    Inode& parent = *inode_of(parent_ino);
    if (parent.kind != Inode::Kind::directory) return (void)fuse_reply_err(req, EACCES);
    std::string rel = child_rel(parent, name);
    const auto slash = rel.find('/');
    const std::string customer = rel.substr(0, slash), path = rel.substr(slash + 1);
    // Name checks happen here, at create, so a client learns at once instead of after sending
    // gigabytes; the same rules are applied again at publish.
    if (names_.classify(name) == contract::NameKind::refused) {
        log::info("upload_refused",
                  {{"customer", customer}, {"path", path}, {"reason", names_.refusal(name)}});
        return (void)fuse_reply_err(req, EACCES);
    }
    struct stat existing {};
    if (::fstatat(backing_.bundles(), rel.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
        log::info(
            "upload_refused",
            {{"customer", customer}, {"path", path}, {"reason", contract::already_exists(rel)}});
        return (void)fuse_reply_err(req, EEXIST);
    }
    std::string id = new_upload_id();
    std::shared_ptr<Upload> upload;
    try {
        upload =
            std::make_shared<Upload>(id, customer, path, thread_group_of(fuse_req_ctx(req)->pid),
                                     backing_.create_staging(id, rel), judge_);
    } catch (const std::system_error& e) {
        log::error("staging_failed", {{"customer", customer}, {"path", path}, {"error", e.what()}});
        return (void)fuse_reply_err(req, e.code().value());
    }
    Inode* inode = &adopt(upload, rel, 1);
    auto handle = std::make_unique<Handle>();
    handle->inode = inode;
    handle->upload = upload;
    fuse_entry_param entry{};
    entry.ino = reinterpret_cast<fuse_ino_t>(inode);
    stat_inode(*inode, &entry.attr);
    fi->fh = handles_.add(std::move(handle));
    fi->keep_cache = 0;
    fi->direct_io = 1;  // no page cache of the mount's own: see open()
    log::debug("upload_started", {{"upload_id", id}, {"customer", customer}, {"path", path}});
    fuse_reply_create(req, &entry, fi);
}

Inode& StoreFs::adopt(const std::shared_ptr<Upload>& upload, const std::string& rel,
                      std::uint64_t nlookup) {
    auto owned = std::make_unique<Inode>();
    owned->kind = Inode::Kind::upload;
    owned->set_rel(rel);
    owned->upload_ = upload;
    owned->nlookup = nlookup;
    Inode* inode = owned.get();
    std::lock_guard lock(table_mutex_);
    inodes_.emplace(inode, std::move(owned));
    live_.emplace(upload.get(), inode);
    return *inode;
}

void StoreFs::open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Inode& inode = *inode_of(ino);
    const bool writing = (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC);
    auto handle = std::make_unique<Handle>();
    handle->inode = &inode;
    if (auto upload = inode.upload(); upload) {
        if (int error = open_upload(req, *upload, writing, fi->flags & O_TRUNC))
            return (void)fuse_reply_err(req, error);  // never readable by anyone else
        handle->upload = upload;
        handle->session = upload->session.load();
        fi->keep_cache = 0;
        // An upload's bytes go straight from the writer's buffer into the request: no copy
        // into a page cache of the mount's own that nobody reads (a gigabyte of it per upload,
        // which on this host also means a gigabyte of cold pages to fault in: docs/store.md).
        fi->direct_io = 1;
    } else if (in_view(inode)) {
        if (int error = open_member(inode, writing, *handle))
            return (void)fuse_reply_err(req, error);
        fi->keep_cache = 1;  // immutable
    } else if (inode.kind == Inode::Kind::bundle || inode.kind == Inode::Kind::upload) {
        if (writing) return (void)fuse_reply_err(req, settings_.read_only ? EROFS : EEXIST);
        handle->fd.reset(::openat(backing_.bundles(), inode.rel().c_str(), O_RDONLY | O_CLOEXEC));
        if (!handle->fd) return (void)fuse_reply_err(req, errno);
        if (int error = open_remote(*handle)) return (void)fuse_reply_err(req, error);
        fi->keep_cache = 1;  // immutable
    } else {
        return (void)fuse_reply_err(req, EISDIR);
    }
    fi->fh = handles_.add(std::move(handle));
    fuse_reply_open(req, fi);
}

// A stub's bytes are in object storage: the handle reads its object instead of the file.
int StoreFs::open_remote(Handle& handle) {
    struct stat st {};
    if (::fstat(handle.fd.get(), &st) != 0) return errno;
    if (!contract::is_stub(st.st_mode)) return 0;
    const std::string rel = handle.inode->rel();
    try {
        if (remote_) handle.remote = remote_->object_for(rel);
    } catch (const std::exception& e) {
        log::error("remote_open_failed", {{"bundle", rel}, {"error", e.what()}});
    }
    if (handle.remote) return 0;
    log::error("remote_open_failed",
               {{"bundle", rel}, {"error", "a stub without a replicated object in the index"}});
    return EIO;
}

void StoreFs::read_remote(fuse_req_t req, Handle& handle, size_t size, off_t offset) {
    std::vector<char> bytes(size);
    try {
        std::size_t got = remote_->read(*handle.remote, static_cast<std::uint64_t>(offset), bytes);
        fuse_reply_buf(req, bytes.data(), got);
    } catch (const std::exception& e) {
        log::error("remote_read_failed",
                   {{"bundle", handle.inode->rel()}, {"offset", offset}, {"error", e.what()}});
        fuse_reply_err(req, EIO);
    }
}

void StoreFs::read(fuse_req_t req, size_t size, off_t offset, fuse_file_info* fi) {
    Handle& handle = handle_of(fi);
    if (handle.remote) return read_remote(req, handle, size, offset);
    if (handle.member) return read_member(req, handle, size, offset);
    fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
    buf.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    buf.buf[0].fd = handle.upload ? handle.upload->fd() : handle.fd.get();
    buf.buf[0].pos = offset;
    fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

void StoreFs::write(fuse_req_t req, const char* data, size_t size, off_t offset,
                    fuse_file_info* fi) {
    Handle& handle = handle_of(fi);
    if (!handle.upload) return (void)fuse_reply_err(req, EBADF);
    auto& upload = *handle.upload;
    std::lock_guard lock(upload.mutex);
    if (handle.session != upload.session.load()) return (void)fuse_reply_err(req, EBADF);
    switch (upload.state.load()) {
        case Upload::State::writing:
            break;
        case Upload::State::refused:
            return (void)fuse_reply_err(req, upload.verdict.error);  // told again, every write
        case Upload::State::partial:
            return (void)fuse_reply_err(req, EBADF);  // interrupted: reopen it to resume
        default:
            return (void)fuse_reply_err(req, EACCES);  // judged: nothing more may be written
    }
    const std::uint64_t end = static_cast<std::uint64_t>(offset) + size;
    if (end > upload.size() && (over_quota(upload, end) || short_of_space(upload, end)))
        return (void)fuse_reply_err(req, fail_fast(upload));
    int error = upload.write({reinterpret_cast<const std::uint8_t*>(data), size},
                             static_cast<std::uint64_t>(offset));
    if (error == EINVAL) return (void)fuse_reply_err(req, EINVAL);  // misplaced: nothing changed
    if (!error) store_metrics::bytes_received(size);  // taken, even if it reveals a refusal
    if (error || upload.doomed()) return (void)fuse_reply_err(req, fail_fast(upload));
    fuse_reply_write(req, size);
}

// The verdict. FLUSH is the only close-time request whose error reaches close(2); it comes once
// per close() of every dup/fork copy, so the verdict is computed once and then cached.
void StoreFs::flush(fuse_req_t req, fuse_file_info* fi) {
    Handle& handle = handle_of(fi);
    if (!handle.upload) return (void)fuse_reply_err(req, 0);
    auto& upload = *handle.upload;
    std::lock_guard lock(upload.mutex);
    if (handle.session != upload.session.load())
        return (void)fuse_reply_err(req, 0);  // an earlier session's copy: not this one's end
    switch (upload.state.load()) {
        case Upload::State::published:
        case Upload::State::held:
        case Upload::State::partial:
            return (void)fuse_reply_err(req, 0);
        case Upload::State::refused:
            return (void)fuse_reply_err(req, upload.verdict.error);
        case Upload::State::aborted:
            return (void)fuse_reply_err(req, ECANCELED);
        case Upload::State::writing:
            break;
    }
    const pid_t pid = fuse_req_ctx(req)->pid, writer = upload.writer.load();
    if (pid > 0 && pid != writer && thread_group_of(pid) != writer && process_alive(writer))
        return (void)fuse_reply_err(req, 0);  // a child closing an inherited copy, not the writer
    if (upload.tag_aborted)
        return (void)fuse_reply_err(
            req, suspend(upload, "the client went away (user.dropgate.aborted)"));
    if (exiting_on_signal(pid))
        return (void)fuse_reply_err(req, suspend(upload, "the writer was killed by a signal"));
    if (upload.only_misplaced_writes()) {  // a resumption that never continued: still partial
        suspend(upload, "resumed at the wrong offset");
        return (void)fuse_reply_err(req, EINVAL);
    }
    if (holds_open(pid, (settings_.mountpoint / upload.customer / upload.path).string()))
        return (void)fuse_reply_err(req, 0);  // one of several descriptors closed: not the end
    const auto start = std::chrono::steady_clock::now();
    int error = conclude(upload);
    log::debug(
        "flush_verdict",
        {{"upload_id", upload.id},
         {"errno", error},
         {"ms", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count()}});
    fuse_reply_err(req, error);
}

void StoreFs::release(fuse_req_t req, fuse_file_info* fi) {
    std::unique_ptr<Handle> handle = handles_.remove(fi->fh);
    if (handle && handle->upload) {
        auto& upload = *handle->upload;
        std::lock_guard lock(upload.mutex);
        if (upload.state.load() == Upload::State::writing &&
            handle->session == upload.session.load())
            suspend(upload, "closed without a verdict");
    }
    fuse_reply_err(req, 0);
}

void StoreFs::fsync(fuse_req_t req, fuse_file_info* fi) {
    Handle& handle = handle_of(fi);
    if (handle.upload && ::fdatasync(handle.upload->fd()) != 0)
        return (void)fuse_reply_err(req, errno);
    fuse_reply_err(req, 0);
}

void StoreFs::setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                      fuse_file_info*) {
    if (settings_.read_only) return (void)fuse_reply_err(req, EROFS);
    Inode& inode = *inode_of(ino);
    auto upload = inode.upload();
    if (!upload || upload->state.load() != Upload::State::writing || !is_writer(req, *upload))
        return (void)fuse_reply_err(req, EACCES);  // published bundles and directories are fixed
    if (to_set & FUSE_SET_ATTR_SIZE) {
        std::lock_guard lock(upload->mutex);
        if (int error = upload->truncate(static_cast<std::uint64_t>(attr->st_size)))
            return (void)fuse_reply_err(req, error);
    }
    // Mode, owner and times of an upload are accepted without effect (cp -p, put -p).
    struct stat st {};
    if (int error = stat_inode(inode, &st)) return (void)fuse_reply_err(req, error);
    fuse_reply_attr(req, &st, 0.0);
}

void StoreFs::setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value,
                       size_t size) {
    if (settings_.read_only) return (void)fuse_reply_err(req, EROFS);
    Inode& inode = *inode_of(ino);
    auto tagged = inode.upload();
    if (!tagged || tagged->state.load() != Upload::State::writing || !is_writer(req, *tagged))
        return (void)fuse_reply_err(req, EACCES);
    if (size > 1024) return (void)fuse_reply_err(req, E2BIG);
    auto& upload = *tagged;
    std::lock_guard lock(upload.mutex);
    std::string text(value, size), key(name);
    if (key == xattr::kUploadId)
        upload.tag_upload_id = text;
    else if (key == xattr::kRemote)
        upload.tag_remote = text;
    else if (key == xattr::kClientVersion)
        upload.tag_client_version = text;
    else if (key == xattr::kAborted)
        upload.tag_aborted = true;
    else if (key == xattr::kExpectedSize)
        return (void)fuse_reply_err(req, announced_size(upload, text));
    else
        return (void)fuse_reply_err(req, ENOTSUP);
    if (key == xattr::kUploadId || key == xattr::kRemote)
        ::fsetxattr(upload.fd(), name, value, size, 0);  // for start-up recovery, best effort
    fuse_reply_err(req, 0);
}

// The writer announced the upload's whole size (a decimal): what could never fit a limit, the
// customer's quota or the disk is refused now, with the verdict a write reaching that size
// would get.
int StoreFs::announced_size(Upload& upload, const std::string& text) {
    std::uint64_t end = 0;
    const auto [rest, error] = std::from_chars(text.data(), text.data() + text.size(), end);
    if (error != std::errc() || rest != text.data() + text.size()) return EINVAL;
    if (end <= upload.size()) return 0;
    if (end > judge_.limits().max_bundle_size)
        upload.write_error = EFBIG;
    else if (!over_quota(upload, end) && !short_of_space(upload, end))
        return 0;
    return fail_fast(upload);
}

std::shared_ptr<Upload> StoreFs::writers_upload(fuse_req_t req, const std::string& rel) {
    std::lock_guard lock(table_mutex_);
    Inode* inode = visible_upload(req, rel);
    return inode ? inode->upload() : nullptr;
}

void StoreFs::reply_not_an_upload(fuse_req_t req, const std::string& rel) {
    struct stat st {};
    bool exists = ::fstatat(backing_.bundles(), rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    fuse_reply_err(req, exists ? EACCES : ENOENT);
}

void StoreFs::unlink(fuse_req_t req, fuse_ino_t parent_ino, const char* name) {
    if (settings_.read_only) return (void)fuse_reply_err(req, EROFS);
    if (in_view(*inode_of(parent_ino))) return (void)fuse_reply_err(req, EACCES);
    std::string rel = child_rel(*inode_of(parent_ino), name);
    std::shared_ptr<Upload> upload = writers_upload(req, rel);
    if (!upload) return reply_not_an_upload(req, rel);  // bundles are immutable
    // A client may remove its own unfinished upload (a cancelled transfer): recorded aborted.
    std::lock_guard lock(upload->mutex);
    auto state = upload->state.load();
    if (state != Upload::State::writing && state != Upload::State::held &&
        state != Upload::State::partial)
        return (void)fuse_reply_err(req, ENOENT);
    abort(*upload, "removed by the client before it was published");
    fuse_reply_err(req, 0);
}

void StoreFs::rename(fuse_req_t req, fuse_ino_t parent_ino, const char* name,
                     fuse_ino_t newparent_ino, const char* newname, unsigned flags) {
    if (settings_.read_only) return (void)fuse_reply_err(req, EROFS);
    Inode& newparent = *inode_of(newparent_ino);
    std::string from = child_rel(*inode_of(parent_ino), name);
    std::string to = child_rel(newparent, newname);
    if ((flags & ~unsigned(RENAME_NOREPLACE)) || newparent.kind != Inode::Kind::directory)
        return (void)fuse_reply_err(req, EACCES);
    std::shared_ptr<Upload> upload = writers_upload(req, from);
    if (!upload) return reply_not_an_upload(req, from);  // bundles never move
    std::lock_guard lock(upload->mutex);
    // Only a judged temp-suffix upload (held) is renamed, and only to a bundle name of the same
    // customer: that rename is its publication.
    if (upload->state.load() != Upload::State::held) return (void)fuse_reply_err(req, EACCES);
    if (to.substr(0, to.find('/')) != upload->customer ||
        names_.classify(newname) != contract::NameKind::bundle)
        return (void)fuse_reply_err(req, EACCES);
    struct stat st {};
    if (::fstatat(backing_.bundles(), to.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
        return (void)fuse_reply_err(req, EEXIST);  // still held: the client may pick another name
    fuse_reply_err(req, publish(*upload, to.substr(to.find('/') + 1)));
}

index::UploadRecord StoreFs::row_for(const Upload& upload, index::UploadState status,
                                     const std::string& reason) const {
    index::UploadRecord row;
    row.upload_id = upload.tag_upload_id.empty() ? upload.id : upload.tag_upload_id;
    row.customer = upload.customer;
    row.path = upload.path;
    row.remote = upload.tag_remote.empty() ? "local:pid " + std::to_string(upload.writer)
                                           : upload.tag_remote;
    row.client_version = upload.tag_client_version;
    row.started_at = upload.started_at;
    row.finished_at = index::Clock::now();
    row.status = status;
    row.reason = reason;
    if (upload.judged) {
        row.bytes = upload.verdict.bytes;
        row.sha256 = upload.verdict.sha256;
        row.gzip_members = upload.verdict.gzip_members;
        row.uncompressed_bytes = upload.verdict.uncompressed_bytes;
        row.member_count = upload.verdict.member_count;
    } else {
        struct stat st {};
        if (::fstat(upload.fd(), &st) == 0) row.bytes = static_cast<std::uint64_t>(st.st_size);
    }
    return row;
}

}  // namespace dropgate::fs
