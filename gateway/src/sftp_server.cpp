// The SFTP loop: frame packets from the channel, dispatch through one table, batch replies.
#include "sftp_server.hpp"

#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "attrs.hpp"
#include "dropgate/base/log.hpp"
#include "dropgate/contract/xattrs.hpp"
#include "dropgate/index/verdicts.hpp"

namespace dropgate::gateway {

using namespace sftp;

// Every request dropgate knows. Access is decided here, once, at dispatch.
const SftpServer::Entry SftpServer::kTable[] = {
    {"open", FXP_OPEN, nullptr, Access::by_open_flags, &SftpServer::on_open},
    {"close", FXP_CLOSE, nullptr, Access::read, &SftpServer::on_close},
    {"read", FXP_READ, nullptr, Access::read, &SftpServer::on_read},
    {"write", FXP_WRITE, nullptr, Access::write, &SftpServer::on_write},
    {"lstat", FXP_LSTAT, nullptr, Access::read, &SftpServer::on_lstat},
    {"fstat", FXP_FSTAT, nullptr, Access::read, &SftpServer::on_fstat},
    {"setstat", FXP_SETSTAT, nullptr, Access::write, &SftpServer::on_setstat},
    {"fsetstat", FXP_FSETSTAT, nullptr, Access::write, &SftpServer::on_fsetstat},
    {"opendir", FXP_OPENDIR, nullptr, Access::read, &SftpServer::on_opendir},
    {"readdir", FXP_READDIR, nullptr, Access::read, &SftpServer::on_readdir},
    {"remove", FXP_REMOVE, nullptr, Access::forbidden, nullptr},
    {"mkdir", FXP_MKDIR, nullptr, Access::write, &SftpServer::on_mkdir},
    {"rmdir", FXP_RMDIR, nullptr, Access::forbidden, nullptr},
    {"realpath", FXP_REALPATH, nullptr, Access::read, &SftpServer::on_realpath},
    {"stat", FXP_STAT, nullptr, Access::read, &SftpServer::on_stat},
    {"rename", FXP_RENAME, nullptr, Access::write, &SftpServer::on_rename},
    {"readlink", FXP_READLINK, nullptr, Access::read, &SftpServer::on_readlink},
    {"symlink", FXP_SYMLINK, nullptr, Access::forbidden, nullptr},
    {"posix-rename", 0, "posix-rename@openssh.com", Access::write, &SftpServer::on_rename},
    {"statvfs", 0, "statvfs@openssh.com", Access::read, &SftpServer::on_statvfs},
    {"fstatvfs", 0, "fstatvfs@openssh.com", Access::read, &SftpServer::on_fstatvfs},
    {"fsync", 0, "fsync@openssh.com", Access::write, &SftpServer::on_fsync},
    {"limits", 0, "limits@openssh.com", Access::read, &SftpServer::on_limits},
    {"hardlink", 0, "hardlink@openssh.com", Access::forbidden, nullptr},
};

namespace {

constexpr std::size_t kInCapacity = kMaxPacket + 64 * 1024;  // a full packet and then some
constexpr std::size_t kReadAhead = 128 * 1024;
constexpr std::size_t kFlushAt = 256 * 1024;  // batch replies up to this size

}  // namespace

SftpServer::SftpServer(Transport& transport, SftpContext context, Jail jail)
    : transport_(transport),
      ctx_(std::move(context)),
      jail_(std::move(jail)),
      names_(ctx_.config->store),
      writer_(out_) {
    in_ = std::make_unique_for_overwrite<std::uint8_t[]>(kInCapacity);
}

SftpServer::~SftpServer() {
    end_uploads();
}

std::string SftpServer::run() {
    using Clock = std::chrono::steady_clock;
    const auto idle = ctx_.config->server.idle_timeout;
    auto last_request = Clock::now();
    for (;;) {
        if (in_begin_ > 0) {  // keep the partial packet at the front
            std::memmove(in_.get(), in_.get() + in_begin_, in_end_ - in_begin_);
            in_end_ -= in_begin_;
            in_begin_ = 0;
        }
        auto left =
            idle - std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - last_request);
        if (left.count() <= 0) return "idle timeout";
        int wait_ms = int(std::min<long long>(left.count() * 1000LL, 1000LL * 3600));
        // Read what the current packet needs plus a bounded look-ahead: clients with 32 KiB
        // packets never touch (fault in) the rest of the buffer.
        std::size_t want = kReadAhead;
        if (in_end_ >= 4) want = std::max<std::size_t>(want, 4 + Reader(in_.get(), 4).u32());
        std::size_t limit = std::min(kInCapacity, want);
        if (limit <= in_end_) limit = std::min(kInCapacity, in_end_ + kReadAhead);
        long n = transport_.read(in_.get() + in_end_, limit - in_end_, wait_ms);
        if (n < 0) return std::string(kClientClosed);
        if (n == 0) continue;
        in_end_ += std::size_t(n);
        // Drain what libssh already holds: fewer, larger passes over the data.
        while (in_end_ < limit) {
            long more = transport_.read_ready(in_.get() + in_end_, limit - in_end_);
            if (more <= 0) break;
            in_end_ += std::size_t(more);
        }
        last_request = Clock::now();
        while (in_end_ - in_begin_ >= 4) {
            Reader head(in_.get() + in_begin_, 4);
            std::uint32_t len = head.u32();
            if (len == 0 || len > kMaxPacket) {
                flush_replies();
                return "packet of " + std::to_string(len) + " bytes exceeds the limit";
            }
            if (in_end_ - in_begin_ < 4 + std::size_t(len)) break;
            try {
                handle_packet(in_.get() + in_begin_ + 4, len);
            } catch (const ProtocolViolation& e) {
                flush_replies();
                return std::string("protocol error: ") + e.what();
            }
            in_begin_ += 4 + len;
            if (out_.size() >= kFlushAt && !flush_replies()) return "client stopped reading";
        }
        if (!flush_replies()) return "client stopped reading";
    }
}

bool SftpServer::flush_replies() {
    if (out_.empty()) return true;
    bool ok = transport_.write(out_.data(), out_.size());
    out_.clear();
    if (out_.capacity() > 4 * kFlushAt) out_.shrink_to_fit();
    return ok;
}

const SftpServer::Entry* SftpServer::find_entry(std::uint8_t type,
                                                std::string_view extension) const {
    for (const Entry& entry : kTable) {
        if (type == FXP_EXTENDED ? (entry.extension && extension == entry.extension)
                                 : (!entry.extension && entry.type == type))
            return &entry;
    }
    return nullptr;
}

// One packet: INIT first and once (as OpenSSH's sftp-server, anything else ends the session),
// then every request through the table.
void SftpServer::handle_packet(const std::uint8_t* data, std::size_t len) {
    Reader in(data, len);
    std::uint8_t type = in.u8();
    if (type == FXP_INIT) {
        if (initialized_) throw ProtocolViolation("INIT received twice");
        std::uint32_t version = in.remaining() >= 4 ? in.u32() : 3;
        return on_init(version, in);
    }
    if (!initialized_)
        throw ProtocolViolation("request type " + std::to_string(type) + " before INIT");
    if (len < 5) throw ProtocolViolation("packet without a request id");
    std::uint32_t id = in.u32();
    std::string extension;
    try {
        if (type == FXP_EXTENDED) extension = in.string();
    } catch (const BadMessage& e) {
        return send_status(id, FX_BAD_MESSAGE, e.what());
    }
    const Entry* entry = find_entry(type, extension);
    if (!entry)
        return send_status(id, FX_OP_UNSUPPORTED,
                           type == FXP_EXTENDED
                               ? "unsupported extension: " + extension
                               : "unsupported request type " + std::to_string(type));
    dispatch(*entry, id, in);
}

// OPEN writes when it asks to write, create or truncate (OpenSSH's read-only mode decides it the
// same way); everything else has one fixed access class.
bool SftpServer::writes(const Entry& entry, const Reader& in) {
    if (entry.access != Access::by_open_flags) return entry.access == Access::write;
    Reader peek = in;
    peek.bytes();  // the path
    return opens_for_writing(peek.u32());
}

void SftpServer::dispatch(const Entry& entry, std::uint32_t id, Reader& in) {
    try {
        if (entry.access == Access::forbidden)
            return send_status(id, FX_PERMISSION_DENIED,
                               std::string(entry.name) + " is not allowed: bundles are immutable");
        if (ctx_.role == config::Role::support && writes(entry, in))
            return send_status(
                id, FX_PERMISSION_DENIED,
                (entry.access == Access::by_open_flags ? std::string("opening for writing")
                                                       : std::string(entry.name)) +
                    " is not allowed: the support role is read-only");
        (this->*entry.handler)(id, in);
    } catch (const BadMessage& e) {
        send_status(id, FX_BAD_MESSAGE, std::string("malformed ") + entry.name + ": " + e.what());
    } catch (const StatusError& e) {
        send_status(id, e.status, e.what());
    } catch (const std::system_error& e) {
        send_errno(id, e.code().value(), e.what());
    } catch (const std::bad_alloc&) {
        send_status(id, FX_FAILURE, "out of memory");
    }
}

void SftpServer::send_status(std::uint32_t id, Status status, std::string_view message) {
    writer_.begin(FXP_STATUS);
    writer_.u32(id);
    writer_.u32(status);
    writer_.bytes(message);
    writer_.bytes("en");
    writer_.finish();
}

void SftpServer::send_errno(std::uint32_t id, int err, std::string_view what) {
    // system_error::what() is "path: strerror"; keep it as the human message.
    Status status = FX_FAILURE;
    switch (err) {
        case ENOENT:
        case ENOTDIR:
            status = FX_NO_SUCH_FILE;
            break;
        case EACCES:
        case EPERM:
        case EROFS:
        case EXDEV:
            status = FX_PERMISSION_DENIED;
            break;
        case EBADMSG:
        case EINVAL:
            status = FX_FAILURE;
            break;
        default:
            break;
    }
    send_status(id, status, what);
}

void SftpServer::send_handle(std::uint32_t id, const std::string& handle) {
    writer_.begin(FXP_HANDLE);
    writer_.u32(id);
    writer_.bytes(handle);
    writer_.finish();
}

void SftpServer::send_attrs(std::uint32_t id, const struct stat& st) {
    writer_.begin(FXP_ATTRS);
    writer_.u32(id);
    write_attrs(writer_, st);
    writer_.finish();
}

void SftpServer::send_name(std::uint32_t id, const std::string& name) {
    writer_.begin(FXP_NAME);
    writer_.u32(id);
    writer_.u32(1);
    writer_.bytes(name);
    writer_.bytes(name);
    writer_.u32(0);  // no attributes
    writer_.finish();
}

void SftpServer::on_init(std::uint32_t version, Reader&) {
    initialized_ = true;
    writer_.begin(FXP_VERSION);
    writer_.u32(3);
    (void)version;  // v3 is all we speak; newer clients fall back to it
    for (auto [name, ver] : {std::pair{"posix-rename@openssh.com", "1"},
                             {"statvfs@openssh.com", "2"},
                             {"fstatvfs@openssh.com", "2"},
                             {"fsync@openssh.com", "1"},
                             {"limits@openssh.com", "1"}}) {
        writer_.bytes(name);
        writer_.bytes(ver);
    }
    writer_.finish();
}

std::string SftpServer::reason_for(const OpenFile& file, int err) const {
    return index::refusal_reason(ctx_.config->index.database, file.upload_id, err);
}

// A client that vanished without CLOSE: flush what it sent, tag the file (user.dropgate.aborted:
// the store keeps it as a partial to resume, instead of judging a truncated bundle), then close.
void SftpServer::end_uploads() {
    for (auto& file : handles_.drain()) {
        if (!file->writing) continue;
        // An upload the store already refused has its verdict: nothing is left to abort.
        if (file->take_error()) continue;
        static const char one[] = "1";
        if (::fsetxattr(file->fd.get(), contract::xattr::kAborted, one, 1, 0) != 0 &&
            errno != ENOTSUP)
            log::warn("xattr_failed", {{"path", file->path}, {"error", std::strerror(errno)}});
        file->fd.reset();
        log::info("upload_interrupted", {{"user", ctx_.user},
                                         {"path", file->path},
                                         {"upload_id", file->upload_id},
                                         {"bytes", file->bytes_written},
                                         {"remote", ctx_.remote}});
    }
}

}  // namespace dropgate::gateway
