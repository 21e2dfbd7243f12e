// SFTP v3 wire format: constants, a bounds-checked reader over one packet, and an
// append-only writer for replies. Malformed input throws BadMessage; nothing here trusts
// a length field before checking it against what is actually there.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dropgate::gateway::sftp {

enum Type : std::uint8_t {
    FXP_INIT = 1,
    FXP_VERSION = 2,
    FXP_OPEN = 3,
    FXP_CLOSE = 4,
    FXP_READ = 5,
    FXP_WRITE = 6,
    FXP_LSTAT = 7,
    FXP_FSTAT = 8,
    FXP_SETSTAT = 9,
    FXP_FSETSTAT = 10,
    FXP_OPENDIR = 11,
    FXP_READDIR = 12,
    FXP_REMOVE = 13,
    FXP_MKDIR = 14,
    FXP_RMDIR = 15,
    FXP_REALPATH = 16,
    FXP_STAT = 17,
    FXP_RENAME = 18,
    FXP_READLINK = 19,
    FXP_SYMLINK = 20,
    FXP_STATUS = 101,
    FXP_HANDLE = 102,
    FXP_DATA = 103,
    FXP_NAME = 104,
    FXP_ATTRS = 105,
    FXP_EXTENDED = 200,
    FXP_EXTENDED_REPLY = 201,
};

enum Status : std::uint32_t {
    FX_OK = 0,
    FX_EOF = 1,
    FX_NO_SUCH_FILE = 2,
    FX_PERMISSION_DENIED = 3,
    FX_FAILURE = 4,
    FX_BAD_MESSAGE = 5,
    FX_NO_CONNECTION = 6,
    FX_CONNECTION_LOST = 7,
    FX_OP_UNSUPPORTED = 8,
};

enum OpenFlag : std::uint32_t {
    FXF_READ = 0x01,
    FXF_WRITE = 0x02,
    FXF_APPEND = 0x04,
    FXF_CREAT = 0x08,
    FXF_TRUNC = 0x10,
    FXF_EXCL = 0x20,
};

// An OPEN that writes: asks to write, append, create or truncate.
constexpr bool opens_for_writing(std::uint32_t pflags) {
    return pflags & (FXF_WRITE | FXF_APPEND | FXF_CREAT | FXF_TRUNC);
}

enum AttrFlag : std::uint32_t {
    ATTR_SIZE = 0x01,
    ATTR_UIDGID = 0x02,
    ATTR_PERMISSIONS = 0x04,
    ATTR_ACMODTIME = 0x08,
    ATTR_EXTENDED = 0x80000000u,
};

// Limits, as OpenSSH's sftp-server: a packet above kMaxPacket ends the session.
constexpr std::uint32_t kMaxPacket = 256 * 1024 + 1024;
constexpr std::uint32_t kMaxReadWrite = 255 * 1024;  // 261120, what limits@ advertises
constexpr std::uint32_t kMaxHandles = 256;

// A malformed request: answered with SSH_FX_BAD_MESSAGE.
struct BadMessage : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A request that fails with a chosen status and a human message.
struct StatusError : std::runtime_error {
    StatusError(Status s, const std::string& message) : std::runtime_error(message), status(s) {}
    Status status;
};

class Reader {
  public:
    Reader(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
    std::uint8_t u8() {
        need(1);
        return *p_++;
    }
    std::uint32_t u32() {
        need(4);
        std::uint32_t v = std::uint32_t(p_[0]) << 24 | std::uint32_t(p_[1]) << 16 |
                          std::uint32_t(p_[2]) << 8 | p_[3];
        p_ += 4;
        return v;
    }
    std::uint64_t u64() {
        std::uint64_t hi = u32();
        return hi << 32 | u32();
    }
    std::string_view bytes() {
        std::uint32_t n = u32();
        need(n);
        std::string_view v(reinterpret_cast<const char*>(p_), n);
        p_ += n;
        return v;
    }
    std::string string() { return std::string(bytes()); }
    // A path or name: no NUL bytes (they would silently truncate a C string).
    std::string path() {
        auto v = bytes();
        if (v.find('\0') != std::string_view::npos) throw BadMessage("NUL byte in a path");
        return std::string(v);
    }
    std::size_t remaining() const { return std::size_t(end_ - p_); }

  private:
    void need(std::size_t n) const {
        if (std::size_t(end_ - p_) < n) throw BadMessage("request shorter than its fields");
    }
    const std::uint8_t* p_;
    const std::uint8_t* end_;
};

class Writer {
  public:
    explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}
    void u8(std::uint8_t v) { out_.push_back(v); }
    void u32(std::uint32_t v) {
        std::uint8_t b[4] = {std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8),
                             std::uint8_t(v)};
        out_.insert(out_.end(), b, b + 4);
    }
    void u64(std::uint64_t v) {
        u32(std::uint32_t(v >> 32));
        u32(std::uint32_t(v));
    }
    void bytes(std::string_view v) {
        u32(std::uint32_t(v.size()));
        out_.insert(out_.end(), v.begin(), v.end());
    }
    // Starts a reply packet: length placeholder + type; finish() patches the length.
    void begin(std::uint8_t type) {
        start_ = out_.size();
        u32(0);
        u8(type);
    }
    void finish() {
        std::uint32_t len = std::uint32_t(out_.size() - start_ - 4);
        for (int i = 0; i < 4; ++i) out_[start_ + i] = std::uint8_t(len >> (24 - 8 * i));
    }

  private:
    std::vector<std::uint8_t>& out_;
    std::size_t start_ = 0;
};

}  // namespace dropgate::gateway::sftp
