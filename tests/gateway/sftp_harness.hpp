// The real SFTP codec (SftpServer, a real Jail on a temp dir, real files) over an in-memory
// byte stream: a test double of the SSH channel and nothing else. A test writes what a client
// would send — split into reads as it chooses, or in steps that look at the replies so far —
// and gets back every reply, parsed, plus what went to the channel's stderr.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "dropgate/config/config.hpp"
#include "harness.hpp"
#include "sftp_server.hpp"

namespace dropgate::test {

// One request packet, encoded the way a client encodes it (independently of sftp::Writer, so
// a bug in the codec's writer cannot hide the same bug in the tests).
class Packet {
  public:
    explicit Packet(std::uint8_t type) { payload_.push_back(char(type)); }
    Packet& u8(std::uint8_t v);
    Packet& u32(std::uint32_t v);
    Packet& u64(std::uint64_t v);
    Packet& str(std::string_view v);  // uint32 length + bytes
    Packet& raw(std::string_view v);  // bytes as they are (a forged length, a cut-off field)
    // The packet on the wire: its true length, then the payload.
    std::string wire() const;
    // The same payload behind a length field that says `length`.
    std::string wire_with_length(std::uint32_t length) const;
    operator std::string() const { return wire(); }

  private:
    std::string payload_;
};

// A request with its id; an EXTENDED request with its id and extension name.
Packet request(std::uint8_t type, std::uint32_t id);
Packet extended(std::uint32_t id, std::string_view name);
std::string init_packet(std::uint32_t version = 3);
// Attributes a client sends with OPEN/MKDIR: none.
constexpr std::uint32_t kNoAttrs = 0;
// What OpenSSH's sftp sends for `put`.
constexpr std::uint32_t kUpload =
    gateway::sftp::FXF_WRITE | gateway::sftp::FXF_CREAT | gateway::sftp::FXF_TRUNC;
// The requests most tests send.
std::string open_request(std::uint32_t id, std::string_view path, std::uint32_t pflags);
std::string write_request(std::uint32_t id, std::string_view handle, std::uint64_t offset,
                          std::string_view data);
std::string read_request(std::uint32_t id, std::string_view handle, std::uint64_t offset,
                         std::uint32_t len);
std::string close_request(std::uint32_t id, std::string_view handle);
std::string stat_request(std::uint32_t id, std::string_view path);

// One reply the server sent.
struct Reply {
    std::uint8_t type = 0;
    std::uint32_t id = 0;  // 0 for VERSION
    std::string body;      // after the id (after the type for VERSION)

    std::uint32_t status() const;  // STATUS: the code
    std::string message() const;   // STATUS: the human message
    std::string handle() const;    // HANDLE: the handle
    std::string data() const;      // DATA: the bytes
    std::uint64_t size() const;    // ATTRS: the size field
    std::uint32_t u32_at(std::size_t offset) const;
    std::uint64_t u64_at(std::size_t offset) const;
};
// Splits the server's output into replies; fails the test if the framing is broken.
std::vector<Reply> parse_replies(std::string_view stream);
// The handle of the HANDLE reply to `id` among `replies`; fails the test if there is none.
std::string handle_in(const std::vector<Reply>& replies, std::uint32_t id);
// A client's wire text split into reads of `size` bytes.
std::vector<std::string> split(std::string_view wire, std::size_t size);

// A scripted client: called when the server waits for input and nothing is queued; it sees
// every reply so far and returns the next reads (none: the client hangs up).
using Step = std::function<std::vector<std::string>(const std::vector<Reply>& so_far)>;

class MemoryTransport : public gateway::Transport {
  public:
    MemoryTransport(std::vector<std::string> reads, std::vector<Step> steps);
    // One queued read per call (cut to `cap`); after the last one and the last step, the peer
    // is gone (-1), as a channel whose client closed it.
    long read(void* buf, std::size_t cap, int timeout_ms) override;
    // What is left of a read the server took only part of: bytes that have already arrived.
    long read_ready(void* buf, std::size_t cap) override;
    bool write(const void* data, std::size_t len) override;
    void write_stderr(std::string_view line) override { stderr_ += line; }

    const std::string& written() const { return written_; }
    const std::string& stderr_text() const { return stderr_; }
    std::size_t writes() const { return writes_; }

  private:
    long take(void* buf, std::size_t cap);
    std::deque<std::string> reads_;
    std::size_t taken_ = 0;  // of reads_.front()
    std::deque<Step> steps_;
    std::string written_, stderr_;
    std::size_t writes_ = 0;
};

// A temp store with customers "acme" (the session's user unless the role is support, whose
// root is the whole store) and "other", and the config a session needs.
class CodecFixture {
  public:
    CodecFixture();
    const std::filesystem::path& store() const { return dir_.path(); }
    std::filesystem::path acme() const { return dir_ / "acme"; }
    const config::Config& config() const { return config_; }

    struct Outcome {
        std::string why;  // what run() returned
        std::vector<Reply> replies;
        std::string stderr_text;
        std::size_t writes = 0;  // channel writes: replies are batched
        // The one reply to `id`; fails the test unless there is exactly one.
        const Reply& to(std::uint32_t id) const;
    };
    // Serves one session: the reads, then the steps, until the client hangs up.
    Outcome serve(std::vector<std::string> reads, std::vector<Step> steps = {},
                  config::Role role = config::Role::customer) const;

  private:
    TempDir dir_;
    config::Config config_;
};

}  // namespace dropgate::test
