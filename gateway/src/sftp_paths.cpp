// Path-based SFTP requests: STAT/LSTAT/SETSTAT, OPENDIR/READDIR, MKDIR, REALPATH, RENAME,
// READLINK, statvfs.
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "attrs.hpp"
#include "dropgate/base/log.hpp"
#include "dropgate/contract/names.hpp"
#include "dropgate/contract/refusals.hpp"
#include "dropgate/contract/states.hpp"
#include "dropgate/index/verdicts.hpp"
#include "sftp_server.hpp"

namespace dropgate::gateway {

using namespace sftp;

namespace {

constexpr std::uint32_t kDirBatch = 100;  // entries per READDIR reply: well under 256 KiB

[[noreturn]] void fail(const std::string& path) {
    throw std::system_error(errno, std::generic_category(), path);
}

}  // namespace

void SftpServer::stat_common(std::uint32_t id, Reader& in, bool follow) {
    std::string path = Jail::normalize(in.path());
    Jail::Opened opened = jail_.try_open(path, O_PATH | (follow ? 0 : O_NOFOLLOW));
    if (!opened.fd)  // the message every other errno reply has: "path: strerror"
        return send_errno(id, opened.error, path + ": " + std::strerror(opened.error));
    struct stat st {};
    if (::fstat(opened.fd.get(), &st) != 0) fail(path);
    if (hidden(st)) return send_errno(id, ENOENT, path + ": " + std::strerror(ENOENT));
    send_attrs(id, st);
}

// Support sees bundles, not another customer's upload in progress: a partial is its owner's.
bool SftpServer::hidden(const struct stat& st) const {
    return ctx_.role == config::Role::support && contract::shows_partial(st.st_mode);
}

void SftpServer::on_stat(std::uint32_t id, Reader& in) {
    stat_common(id, in, true);
}
void SftpServer::on_lstat(std::uint32_t id, Reader& in) {
    stat_common(id, in, false);
}

// `put -p` sends permissions with times: accepted without effect (the store keeps its own
// modes and times). A bare chmod/chown/truncate is a change to a bundle: refused.
void SftpServer::check_setstat(Reader& in, const std::string& path) {
    Reader peek = in;
    std::uint32_t flags = peek.u32();
    skip_attrs(in);
    if ((flags & ATTR_SIZE) ||
        ((flags & (ATTR_PERMISSIONS | ATTR_UIDGID)) && !(flags & ATTR_ACMODTIME)))
        throw StatusError(FX_PERMISSION_DENIED, "changing the size, mode or owner of " + path +
                                                    " is not allowed: bundles are immutable");
}

void SftpServer::on_setstat(std::uint32_t id, Reader& in) {
    std::string path = Jail::normalize(in.path());
    check_setstat(in, path);
    jail_.open(path, O_PATH);                                    // must exist
    send_status(id, FX_OK, "attributes are kept by the store");  // `put -p`: accepted, no effect
}

void SftpServer::on_opendir(std::uint32_t id, Reader& in) {
    std::string path = Jail::normalize(in.path());
    auto file = std::make_unique<OpenFile>();
    file->path = path;
    file->fd = jail_.open(path, O_RDONLY | O_DIRECTORY);
    file->dir = open_dir(file->fd.get());
    if (!file->dir) fail(path);
    auto handle = handles_.add(std::move(file));
    if (!handle)
        throw StatusError(FX_FAILURE,
                          "too many open handles (limit " + std::to_string(kMaxHandles) + ")");
    send_handle(id, *handle);
}

void SftpServer::on_readdir(std::uint32_t id, Reader& in) {
    OpenFile& file = file_for(in.bytes());
    if (!file.dir) throw StatusError(FX_FAILURE, file.path + " is not a directory handle");
    std::size_t mark = out_.size();
    writer_.begin(FXP_NAME);
    writer_.u32(id);
    std::size_t count_at = out_.size();
    writer_.u32(0);
    std::uint32_t count = 0;
    while (count < kDirBatch) {
        errno = 0;
        struct dirent* entry = ::readdir(file.dir.get());
        if (!entry) {
            if (errno != 0 && count == 0) {
                out_.resize(mark);
                fail(file.path);
            }
            break;
        }
        struct stat st {};
        if (jail_.hides(entry->d_name) ||
            ::fstatat(file.fd.get(), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || hidden(st))
            continue;
        writer_.bytes(entry->d_name);
        writer_.bytes(longname(entry->d_name, st));
        write_attrs(writer_, st);
        ++count;
    }
    if (count == 0) {
        out_.resize(mark);
        return send_status(id, FX_EOF, "end of directory");
    }
    for (int i = 0; i < 4; ++i) out_[count_at + i] = std::uint8_t(count >> (24 - 8 * i));
    writer_.finish();
}

void SftpServer::on_mkdir(std::uint32_t id, Reader& in) {
    std::string path = Jail::normalize(in.path());
    skip_attrs(in);
    auto parent = jail_.parent(path);
    if (::mkdirat(parent.dir.get(), parent.leaf.c_str(), 0755) != 0) fail(path);
    log::info("mkdir", {{"user", ctx_.user}, {"path", path}});
    send_status(id, FX_OK, "");
}

void SftpServer::on_realpath(std::uint32_t id, Reader& in) {
    send_name(id, Jail::normalize(in.path()));
}

// Renaming exists for upload-then-rename clients only: a temporary upload name
// (`x.tgz.filepart`) to its bundle name (`x.tgz`), never over an existing file.
void SftpServer::on_rename(std::uint32_t id, Reader& in) {
    std::string from = Jail::normalize(in.path());
    std::string to = Jail::normalize(in.path());
    if (names_.classify(contract::base_name(from)) != contract::NameKind::temporary ||
        !names_.is_bundle(contract::base_name(to)))
        throw StatusError(
            FX_PERMISSION_DENIED,
            "rename " + from + " -> " + to +
                " is not allowed: only a temporary upload name may be renamed to a bundle name");
    auto source = jail_.parent(from);
    auto target = jail_.parent(to);
    struct stat st {};
    if (::fstatat(source.dir.get(), source.leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        rename_failed(from, errno);
    if (!S_ISREG(st.st_mode)) throw StatusError(FX_PERMISSION_DENIED, from + " is not a file");
    if (::renameat2(source.dir.get(), source.leaf.c_str(), target.dir.get(), target.leaf.c_str(),
                    RENAME_NOREPLACE) != 0) {
        if (errno == EEXIST)
            throw StatusError(FX_FAILURE, contract::already_exists(ctx_.user + to));
        rename_failed(from, errno);
    }
    closed_.forget(from);
    log::info("rename", {{"user", ctx_.user}, {"from", from}, {"to", to}});
    send_status(id, FX_OK, "");
}

// The store no longer has a held upload it refused at close (or discarded unrenamed), so its
// RENAME finds nothing. If this session closed an upload under that name, the answer is that
// refusal's errno and reason from the index (spec §4), on stderr too as for a failed CLOSE;
// otherwise the plain errno.
void SftpServer::rename_failed(const std::string& from, int err) {
    const ClosedUpload* closed = err == ENOENT ? closed_.find(from) : nullptr;
    if (!closed) throw std::system_error(err, std::generic_category(), from);
    auto refusal =
        index::recorded_refusal(ctx_.config->index.database, closed->upload_id, closed->error);
    if (!refusal) throw std::system_error(err, std::generic_category(), from);
    std::string message = from + " refused: " + refusal->reason;
    transport_.write_stderr("dropgate: " + message + "\n");
    log::warn("rename_refused", {{"user", ctx_.user},
                                 {"path", from},
                                 {"upload_id", closed->upload_id},
                                 {"reason", refusal->reason}});
    throw StatusError(refusal->error == EACCES ? FX_PERMISSION_DENIED : FX_FAILURE, message);
}

void SftpServer::on_readlink(std::uint32_t id, Reader& in) {
    std::string path = Jail::normalize(in.path());
    auto parent = jail_.parent(path);
    char target[4096];
    ssize_t n = ::readlinkat(parent.dir.get(), parent.leaf.c_str(), target, sizeof target - 1);
    if (n < 0) fail(path);
    send_name(id, std::string(target, std::size_t(n)));
}

void SftpServer::on_statvfs(std::uint32_t id, Reader& in) {
    std::string path = Jail::normalize(in.path());
    UniqueFd fd = jail_.open(path, O_PATH);
    statvfs_reply(id, fd.get());
}

}  // namespace dropgate::gateway
