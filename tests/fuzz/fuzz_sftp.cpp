// The gateway's SFTP codec on hostile bytes, through its real entry point: SftpServer::run()
// over a byte stream (the Transport the SSH channel is, here fed from the fuzz input), with a
// real Jail on a scratch store — the whole packet decoder, the dispatch table and every handler
// against real files.
//
// Input: byte 0 — bit 0: the session is the support role's (read-only, the whole store), else
// customer "acme"'s; bit 1: no INIT is sent for the client (the input must bring its own).
// Bytes 1-2 seed how the stream is cut into channel reads. The rest is what the client sends.
//
// Properties: the replies are well-framed SFTP packets; every request packet the server took
// gets exactly one reply; nothing appears outside the session's root (customer "other"'s folder
// and the store's top stay as they were), and a support session changes nothing at all.
#include <fcntl.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "dropgate/base/log.hpp"
#include "dropgate/contract/names.hpp"
#include "fuzz_input.hpp"
#include "jail.hpp"
#include "sftp_server.hpp"

namespace {

namespace fs = std::filesystem;
namespace sftp = dropgate::gateway::sftp;
using dropgate::fuzz::broken;

class StreamTransport : public dropgate::gateway::Transport {
  public:
    StreamTransport(std::string_view stream, std::uint16_t split_seed)
        : stream_(stream), splitter_(split_seed, 64 * 1024) {}
    long read(void* buf, std::size_t cap, int) override {
        if (stream_.empty()) return -1;  // the client closed the channel
        return take(buf, std::min(cap, splitter_.next(stream_.size())));
    }
    long read_ready(void* buf, std::size_t cap) override {
        if (stream_.empty() || (++ready_calls_ & 1)) return 0;  // sometimes nothing has arrived
        return take(buf, std::min(cap, splitter_.next(stream_.size())));
    }
    bool write(const void* data, std::size_t len) override {
        written_.append(static_cast<const char*>(data), len);
        return true;
    }
    void write_stderr(std::string_view) override {}
    const std::string& written() const { return written_; }

  private:
    long take(void* buf, std::size_t n) {
        std::memcpy(buf, stream_.data(), n);
        stream_.remove_prefix(n);
        return long(n);
    }
    std::string_view stream_;
    dropgate::fuzz::Splitter splitter_;
    unsigned ready_calls_ = 0;
    std::string written_;
};

std::uint32_t be32(std::string_view bytes, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | std::uint8_t(bytes[at + i]);
    return v;
}

// The request packets the server takes from `stream` (as sftp_server.cpp frames them): after
// INIT, every whole packet up to one that ends the session (a second INIT, one without an id,
// a length of 0 or over the limit).
std::size_t requests_in(std::string_view stream) {
    std::size_t requests = 0;
    bool initialized = false;
    while (stream.size() >= 4) {
        std::uint32_t len = be32(stream, 0);
        if (len == 0 || len > sftp::kMaxPacket || stream.size() < 4 + std::size_t(len)) break;
        std::uint8_t type = std::uint8_t(stream[4]);
        if (type == sftp::FXP_INIT) {
            if (initialized) break;
            initialized = true;
        } else {
            if (!initialized || len < 5) break;
            ++requests;
        }
        stream.remove_prefix(4 + len);
    }
    return requests;
}

// Checks the framing of the server's output and counts the replies to requests.
std::size_t replies_in(std::string_view out) {
    std::size_t replies = 0;
    while (!out.empty()) {
        if (out.size() < 5) broken("a reply cut short");
        std::uint32_t len = be32(out, 0);
        if (len < 1 || out.size() < 4 + std::size_t(len)) broken("a reply's length is wrong");
        std::uint8_t type = std::uint8_t(out[4]);
        if (type != sftp::FXP_VERSION) {
            if (len < 5) broken("a reply without its request id");
            if (type != sftp::FXP_STATUS && type != sftp::FXP_HANDLE && type != sftp::FXP_DATA &&
                type != sftp::FXP_NAME && type != sftp::FXP_ATTRS &&
                type != sftp::FXP_EXTENDED_REPLY)
                broken("a reply of an unknown type");
            ++replies;
        }
        out.remove_prefix(4 + len);
    }
    return replies;
}

// A scratch store: customers "acme" and "other", and the config a session needs.
class Store {
  public:
    Store() {
        fs::create_directories(dir() / "acme");
        fs::create_directories(dir() / "other");
        config_.store.root = dir() / "data";  // not created: nothing here reads the backing dir
        config_.store.mount = dir();
        config_.index.database = dir() / "data/index.sqlite3";  // none: reasons from the errno
        config_.users = {{"acme", dropgate::config::Role::customer, {}, {}, {}, {}},
                         {"other", dropgate::config::Role::customer, {}, {}, {}, {}},
                         {"support", dropgate::config::Role::support, {}, {}, {}, {}}};
        dropgate::log::set_level(dropgate::log::Level::error);
    }
    const fs::path& dir() const { return scratch_.path(); }
    const dropgate::config::Config& config() const { return config_; }

    // The store's top holds only the two customers' folders, and "other"'s is empty.
    void check_untouched_outside(bool acme_too) const {
        std::size_t entries = 0;
        for (const auto& entry : fs::directory_iterator(dir())) {
            ++entries;
            auto name = entry.path().filename();
            if (name != "acme" && name != "other") broken("a session wrote outside its root");
        }
        if (entries != 2 || !fs::is_empty(dir() / "other"))
            broken("a session wrote outside its root");
        if (acme_too && !fs::is_empty(dir() / "acme")) broken("a support session wrote");
    }
    // Empties acme's folder for the next session (files may have lost their permissions).
    void reset() const {
        for (const auto& entry : fs::directory_iterator(dir() / "acme")) {
            std::error_code ec;
            fs::permissions(entry.path(), fs::perms::owner_all, fs::perm_options::add, ec);
            fs::remove_all(entry.path(), ec);
            if (ec) std::abort();
        }
    }

  private:
    dropgate::fuzz::ScratchDir scratch_{"dropgate-fuzz-sftp"};
    dropgate::config::Config config_;
};

std::string session(const Store& store, bool support, std::string_view stream,
                    std::uint16_t split_seed) {
    fs::path root = support ? store.dir() : store.dir() / "acme";
    int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) std::abort();
    dropgate::gateway::Jail::Hidden hidden;
    if (!support)  // as the gateway does: the bundle views are the support role's
        hidden = [names = dropgate::contract::NamePolicy(store.config().store)](
                     std::string_view name) { return names.viewed_bundle(name).has_value(); };
    StreamTransport transport(stream, split_seed);
    {
        dropgate::gateway::SftpContext context{
            &store.config(), support ? "support" : "acme",
            support ? dropgate::config::Role::support : dropgate::config::Role::customer,
            "127.0.0.1:40000", "SSH-2.0-fuzz"};
        dropgate::gateway::SftpServer server(
            transport, std::move(context),
            dropgate::gateway::Jail(dropgate::UniqueFd(fd), std::move(hidden)));
        server.run();
    }  // uploads still open end as a vanished client's
    return transport.written();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Store store;
    dropgate::fuzz::Input input(data, size);
    const std::uint8_t flags = input.byte();
    const std::uint16_t split_seed = input.u16();
    const bool support = flags & 1;
    std::string stream;
    if (!(flags & 2)) stream = std::string("\0\0\0\5\1\0\0\0\3", 9);  // INIT, version 3
    stream += input.rest_text();
    std::string out = session(store, support, stream, split_seed);
    if (replies_in(out) != requests_in(stream)) broken("a request got no reply, or more than one");
    store.check_untouched_outside(support);
    store.reset();
    return 0;
}
