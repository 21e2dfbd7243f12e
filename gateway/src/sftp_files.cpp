// Handle-based SFTP requests: OPEN, CLOSE, READ, WRITE, FSTAT, FSETSTAT, fsync, fstatvfs.
#include <fcntl.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "attrs.hpp"
#include "dropgate/base/ids.hpp"
#include "dropgate/base/log.hpp"
#include "dropgate/contract/names.hpp"
#include "dropgate/contract/refusals.hpp"
#include "dropgate/contract/states.hpp"
#include "dropgate/contract/xattrs.hpp"
#include "sftp_server.hpp"

namespace dropgate::gateway {

using namespace sftp;

namespace {

void tag(int fd, const char* name, const std::string& value, const std::string& path) {
    if (::fsetxattr(fd, name, value.data(), value.size(), 0) != 0 && errno != ENOTSUP)
        log::warn("xattr_failed",
                  {{"path", path}, {"name", name}, {"error", std::strerror(errno)}});
}

}  // namespace

OpenFile& SftpServer::file_for(std::string_view handle) {
    OpenFile* file = handles_.find(handle);
    if (!file) throw StatusError(FX_FAILURE, "invalid handle");
    if (file->writing) {
        if (int err = file->take_error()) upload_failed(*file, err);
    }
    return *file;
}

// A coalesced write failed: this and every later request on the handle fail with the reason,
// told once on stderr too (the line OpenSSH's sftp prints).
void SftpServer::upload_failed(OpenFile& file, int err) {
    // EINVAL is the store's answer to a resumed upload written anywhere but at its end; it is
    // no verdict, and the partial stays as it was.
    std::string reason = err == EINVAL && file.resume_at
                             ? "an interrupted upload continues at byte " +
                                   std::to_string(file.resume_at) +
                                   " (its size); a write elsewhere is refused"
                             : reason_for(file, err);
    if (!file.reported) {
        file.reported = true;
        transport_.write_stderr("dropgate: " + file.path + " refused: " + reason + "\n");
        log::warn("upload_refused", {{"user", ctx_.user},
                                     {"path", file.path},
                                     {"upload_id", file.upload_id},
                                     {"bytes", file.bytes_written},
                                     {"reason", reason}});
    }
    throw StatusError(err == EACCES ? FX_PERMISSION_DENIED : FX_FAILURE,
                      file.path + " refused: " + reason);
}

void SftpServer::on_open(std::uint32_t id, Reader& in) {
    std::string path = Jail::normalize(in.path());
    std::uint32_t pflags = in.u32();
    skip_attrs(in);
    if (handles_.size() >= kMaxHandles)  // before creating anything
        throw StatusError(FX_FAILURE,
                          "too many open handles (limit " + std::to_string(kMaxHandles) + ")");
    auto file = std::make_unique<OpenFile>();
    file->path = path;
    if (!opens_for_writing(pflags)) {
        file->fd = jail_.open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    } else {
        try {
            open_upload(*file, pflags);
        } catch (const std::exception& e) {
            // OpenSSH's sftp prints only "Failure" for a status; stderr is what a person reads.
            transport_.write_stderr(std::string("dropgate: ") + e.what() + "\n");
            throw;
        }
    }
    auto handle = handles_.add(std::move(file));
    if (!handle)
        throw StatusError(FX_FAILURE,
                          "too many open handles (limit " + std::to_string(kMaxHandles) + ")");
    send_handle(id, *handle);
}

void SftpServer::open_upload(OpenFile& file, std::uint32_t pflags) {
    const std::string& path = file.path;
    if (names_.classify(contract::base_name(path)) == contract::NameKind::refused)
        throw StatusError(FX_PERMISSION_DENIED,
                          path + " refused: " + names_.refusal(contract::base_name(path)));
    // Bundles are immutable: an upload creates a new file, whatever flags were sent — unless
    // the name is this customer's interrupted upload, which it continues.
    const int access = ((pflags & FXF_READ) ? O_RDWR : O_WRONLY) | O_NOFOLLOW;
    Jail::Opened opened = jail_.try_open(path, access | O_CREAT | O_EXCL, 0644);
    if (opened.error == EEXIST) opened = open_partial(file, access, pflags & FXF_TRUNC);
    if (!opened.fd) throw std::system_error(opened.error, std::generic_category(), path);
    file.fd = std::move(opened.fd);
    file.writing = true;
    file.upload_id = new_upload_id();
    tag(file.fd.get(), contract::xattr::kUploadId, file.upload_id, path);
    tag(file.fd.get(), contract::xattr::kRemote, ctx_.remote, path);
    tag(file.fd.get(), contract::xattr::kClientVersion, ctx_.client_version, path);
    log::info(file.resume_at ? "upload_resumed" : "upload_started", {{"user", ctx_.user},
                                                                     {"path", path},
                                                                     {"upload_id", file.upload_id},
                                                                     {"at", file.resume_at},
                                                                     {"remote", ctx_.remote}});
}

// The name exists. A partial (an interrupted upload, -w-------) is continued at its size when
// the client opens without TRUNC (sftp reput, lftp put -c, curl -C -, paramiko 'a'), and
// started over with TRUNC (a plain put); anything else there is a bundle, and bundles are
// immutable.
Jail::Opened SftpServer::open_partial(OpenFile& file, int access, bool start_over) {
    Jail::Opened existing = jail_.try_open(file.path, O_PATH | O_NOFOLLOW);
    struct stat st {};
    if (!existing.fd || ::fstat(existing.fd.get(), &st) != 0 ||
        !contract::shows_partial(st.st_mode))
        throw StatusError(FX_FAILURE, contract::already_exists(ctx_.user + file.path));
    file.resume_at = start_over ? 0 : std::uint64_t(st.st_size);
    return jail_.try_open(file.path, access | (start_over ? O_TRUNC : 0));
}

void SftpServer::on_close(std::uint32_t id, Reader& in) {
    std::string handle(in.bytes());
    auto file = handles_.remove(handle);
    if (!file) throw StatusError(FX_FAILURE, "invalid handle");
    if (!file->writing) {
        send_status(id, FX_OK, "closed");
        return;
    }
    int err = file->take_error();
    // The store gives its verdict here: close() fails with the reason's errno (spec §4).
    if (::close(file->fd.release()) != 0 && err == 0) err = errno;
    if (names_.classify(contract::base_name(file->path)) == contract::NameKind::temporary)
        closed_.remember({file->path, file->upload_id, err});  // for its RENAME
    if (err == 0) {
        log::info("upload_closed", {{"user", ctx_.user},
                                    {"path", file->path},
                                    {"upload_id", file->upload_id},
                                    {"bytes", file->bytes_written}});
        send_status(id, FX_OK, "upload complete");
        return;
    }
    upload_failed(*file, err);
}

void SftpServer::on_read(std::uint32_t id, Reader& in) {
    OpenFile& file = file_for(in.bytes());
    std::uint64_t offset = in.u64();
    std::uint32_t len = std::min(in.u32(), kMaxReadWrite);
    if (file.dir) throw StatusError(FX_FAILURE, file.path + " is a directory");
    std::size_t mark = out_.size();
    writer_.begin(FXP_DATA);
    writer_.u32(id);
    writer_.u32(0);  // length, patched below
    std::size_t data_at = out_.size();
    out_.resize(data_at + len);
    ssize_t n;
    do {
        n = ::pread(file.fd.get(), out_.data() + data_at, len, off_t(offset));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        int err = errno;
        out_.resize(mark);
        if (n == 0) return send_status(id, FX_EOF, "end of file");
        throw std::system_error(err, std::generic_category(), file.path);
    }
    out_.resize(data_at + std::size_t(n));
    for (int i = 0; i < 4; ++i)
        out_[data_at - 4 + i] = std::uint8_t(std::uint32_t(n) >> (24 - 8 * i));
    writer_.finish();
}

void SftpServer::on_write(std::uint32_t id, Reader& in) {
    OpenFile* file = handles_.find(in.bytes());
    if (!file) throw StatusError(FX_FAILURE, "invalid handle");
    std::uint64_t offset = in.u64();
    std::string_view data = in.bytes();
    if (!file->writing)
        throw StatusError(FX_PERMISSION_DENIED, file->path + " is not open for writing");
    if (file->deferred_errno) upload_failed(*file, file->deferred_errno);
    file->write(offset, data);  // the store counts the bytes it receives (metrics)
    send_status(id, FX_OK, "");
}

void SftpServer::on_fstat(std::uint32_t id, Reader& in) {
    OpenFile& file = file_for(in.bytes());
    struct stat st {};
    if (::fstat(file.fd.get(), &st) != 0)
        throw std::system_error(errno, std::generic_category(), file.path);
    send_attrs(id, st);
}

void SftpServer::on_fsetstat(std::uint32_t id, Reader& in) {
    file_for(in.bytes());
    skip_attrs(in);  // scp and `put -p` set the mode/times of their upload: accepted, no effect
    send_status(id, FX_OK, "attributes are kept by the store");
}

void SftpServer::on_fsync(std::uint32_t id, Reader& in) {
    OpenFile& file = file_for(in.bytes());
    if (::fsync(file.fd.get()) != 0)
        throw std::system_error(errno, std::generic_category(), file.path);
    send_status(id, FX_OK, "");
}

void SftpServer::on_fstatvfs(std::uint32_t id, Reader& in) {
    OpenFile& file = file_for(in.bytes());
    statvfs_reply(id, file.fd.get());
}

void SftpServer::statvfs_reply(std::uint32_t id, int fd) {
    struct statvfs st {};
    if (::fstatvfs(fd, &st) != 0)
        throw std::system_error(errno, std::generic_category(), "statvfs");
    std::uint64_t flag = (st.f_flag & ST_NOSUID) ? 2 : 0;
    if ((st.f_flag & ST_RDONLY) || ctx_.role == config::Role::support) flag |= 1;
    writer_.begin(FXP_EXTENDED_REPLY);
    writer_.u32(id);
    for (std::uint64_t v :
         {std::uint64_t(st.f_bsize), std::uint64_t(st.f_frsize), std::uint64_t(st.f_blocks),
          std::uint64_t(st.f_bfree), std::uint64_t(st.f_bavail), std::uint64_t(st.f_files),
          std::uint64_t(st.f_ffree), std::uint64_t(st.f_favail), std::uint64_t(st.f_fsid), flag,
          std::uint64_t(st.f_namemax)})
        writer_.u64(v);
    writer_.finish();
}

void SftpServer::on_limits(std::uint32_t id, Reader&) {
    writer_.begin(FXP_EXTENDED_REPLY);
    writer_.u32(id);
    writer_.u64(256 * 1024);  // max packet length
    writer_.u64(kMaxReadWrite);
    writer_.u64(kMaxReadWrite);
    writer_.u64(kMaxHandles);
    writer_.finish();
}

}  // namespace dropgate::gateway
