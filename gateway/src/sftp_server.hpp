// dropgate's own SFTP v3 server over a byte stream (the SSH channel). One table maps each
// request type to its handler and its access class; the dispatcher decides permission once
// (OpenSSH sftp-server's `does_write`), every handler sends exactly one reply.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "closed_uploads.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/contract/names.hpp"
#include "handles.hpp"
#include "jail.hpp"
#include "sftp_wire.hpp"

namespace dropgate::gateway {

// The byte stream under SFTP (the SSH channel); an interface so the codec knows nothing of SSH.
class Transport {
  public:
    virtual ~Transport() = default;
    // Waits up to timeout_ms for data. >0 bytes read, 0 nothing yet, <0 the peer is gone.
    virtual long read(void* buf, std::size_t cap, int timeout_ms) = 0;
    // Whatever is already buffered, without waiting (0 if nothing).
    virtual long read_ready(void* buf, std::size_t cap) = 0;
    virtual bool write(const void* data, std::size_t len) = 0;
    // The channel's stderr stream: OpenSSH's sftp prints what arrives there.
    virtual void write_stderr(std::string_view line) = 0;
};

struct SftpContext {
    const config::Config* config = nullptr;
    std::string user;
    config::Role role = config::Role::customer;
    std::string remote;          // "ip:port"
    std::string client_version;  // the client's SSH identification string
};

enum class Access {
    read,           // allowed for every role
    write,          // customers only (support is read-only)
    by_open_flags,  // OPEN: a write when it asks to write, create or truncate
    forbidden       // nobody, and no handler: deleting, links — bundles are immutable
};

// What run() returns after an orderly session: the client closed its channel.
inline constexpr std::string_view kClientClosed = "client closed the channel";

// A protocol violation that ends the session (run() returns its message).
struct ProtocolViolation : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class SftpServer {
  public:
    SftpServer(Transport& transport, SftpContext context, Jail jail);
    ~SftpServer();
    // Serves until the client leaves, idles out or breaks the protocol; returns why it ended.
    std::string run();

  private:
    using Handler = void (SftpServer::*)(std::uint32_t id, sftp::Reader& in);
    struct Entry {
        const char* name;
        std::uint8_t type;      // packet type (0 for extensions)
        const char* extension;  // extension name for SSH_FXP_EXTENDED, else nullptr
        Access access;
        Handler handler;  // null for forbidden requests
    };
    static const Entry kTable[];

    void handle_packet(const std::uint8_t* data, std::size_t len);
    void dispatch(const Entry& entry, std::uint32_t id, sftp::Reader& in);
    static bool writes(const Entry& entry, const sftp::Reader& in);
    const Entry* find_entry(std::uint8_t type, std::string_view extension) const;
    bool flush_replies();
    void end_uploads();

    // Replies (exactly one per request).
    void send_status(std::uint32_t id, sftp::Status status, std::string_view message);
    void send_errno(std::uint32_t id, int err, std::string_view path);
    void send_handle(std::uint32_t id, const std::string& handle);
    void send_attrs(std::uint32_t id, const struct stat& st);
    void send_name(std::uint32_t id, const std::string& name);

    // Handles: lookup that first reports a deferred write error (see handles.hpp).
    OpenFile& file_for(std::string_view handle);
    [[noreturn]] void upload_failed(OpenFile& file, int err);
    std::string reason_for(const OpenFile& file, int err) const;
    [[noreturn]] void rename_failed(const std::string& from, int err);

    // Handlers (sftp_files.cpp: handle-based; sftp_paths.cpp: path-based).
    void on_init(std::uint32_t version, sftp::Reader& in);
    void on_open(std::uint32_t id, sftp::Reader& in);
    void open_upload(OpenFile& file, std::uint32_t pflags);
    Jail::Opened open_partial(OpenFile& file, int access, bool start_over);
    void on_close(std::uint32_t id, sftp::Reader& in);
    void on_read(std::uint32_t id, sftp::Reader& in);
    void on_write(std::uint32_t id, sftp::Reader& in);
    void on_fstat(std::uint32_t id, sftp::Reader& in);
    void on_fsetstat(std::uint32_t id, sftp::Reader& in);
    void on_fsync(std::uint32_t id, sftp::Reader& in);
    void on_fstatvfs(std::uint32_t id, sftp::Reader& in);
    void on_opendir(std::uint32_t id, sftp::Reader& in);
    void on_readdir(std::uint32_t id, sftp::Reader& in);
    void on_stat(std::uint32_t id, sftp::Reader& in);
    void on_lstat(std::uint32_t id, sftp::Reader& in);
    void on_setstat(std::uint32_t id, sftp::Reader& in);
    void on_mkdir(std::uint32_t id, sftp::Reader& in);
    void on_realpath(std::uint32_t id, sftp::Reader& in);
    void on_rename(std::uint32_t id, sftp::Reader& in);
    void on_readlink(std::uint32_t id, sftp::Reader& in);
    void on_statvfs(std::uint32_t id, sftp::Reader& in);
    void on_limits(std::uint32_t id, sftp::Reader& in);
    void check_setstat(sftp::Reader& in, const std::string& path);
    void stat_common(std::uint32_t id, sftp::Reader& in, bool follow);
    bool hidden(const struct stat& st) const;
    void statvfs_reply(std::uint32_t id, int fd);

    Transport& transport_;
    SftpContext ctx_;
    Jail jail_;
    contract::NamePolicy names_;
    HandleTable handles_;
    ClosedUploads closed_;  // temporary-name uploads closed: a failed RENAME tells their refusal
    std::unique_ptr<std::uint8_t[]> in_;  // not zero-filled: untouched pages cost nothing
    std::size_t in_begin_ = 0, in_end_ = 0;
    std::vector<std::uint8_t> out_;
    sftp::Writer writer_;
    bool initialized_ = false;
};

}  // namespace dropgate::gateway
