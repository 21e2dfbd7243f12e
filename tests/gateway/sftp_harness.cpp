#include "sftp_harness.hpp"

#include <fcntl.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <system_error>

#include "jail.hpp"

namespace dropgate::test {

namespace {

std::string be32(std::uint32_t v) {
    return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

}  // namespace

Packet& Packet::u8(std::uint8_t v) {
    payload_.push_back(char(v));
    return *this;
}

Packet& Packet::u32(std::uint32_t v) {
    payload_ += be32(v);
    return *this;
}

Packet& Packet::u64(std::uint64_t v) {
    return u32(std::uint32_t(v >> 32)).u32(std::uint32_t(v));
}

Packet& Packet::str(std::string_view v) {
    return u32(std::uint32_t(v.size())).raw(v);
}

Packet& Packet::raw(std::string_view v) {
    payload_ += v;
    return *this;
}

std::string Packet::wire() const {
    return wire_with_length(std::uint32_t(payload_.size()));
}

std::string Packet::wire_with_length(std::uint32_t length) const {
    return be32(length) + payload_;
}

Packet request(std::uint8_t type, std::uint32_t id) {
    return Packet(type).u32(id);
}

Packet extended(std::uint32_t id, std::string_view name) {
    return request(gateway::sftp::FXP_EXTENDED, id).str(name);
}

std::string init_packet(std::uint32_t version) {
    return Packet(gateway::sftp::FXP_INIT).u32(version);
}

std::string open_request(std::uint32_t id, std::string_view path, std::uint32_t pflags) {
    return request(gateway::sftp::FXP_OPEN, id).str(path).u32(pflags).u32(kNoAttrs);
}

std::string write_request(std::uint32_t id, std::string_view handle, std::uint64_t offset,
                          std::string_view data) {
    return request(gateway::sftp::FXP_WRITE, id).str(handle).u64(offset).str(data);
}

std::string read_request(std::uint32_t id, std::string_view handle, std::uint64_t offset,
                         std::uint32_t len) {
    return request(gateway::sftp::FXP_READ, id).str(handle).u64(offset).u32(len);
}

std::string close_request(std::uint32_t id, std::string_view handle) {
    return request(gateway::sftp::FXP_CLOSE, id).str(handle);
}

std::string stat_request(std::uint32_t id, std::string_view path) {
    return request(gateway::sftp::FXP_STAT, id).str(path);
}

std::uint32_t Reply::u32_at(std::size_t offset) const {
    REQUIRE(body.size() >= offset + 4);
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | std::uint8_t(body[offset + i]);
    return v;
}

std::uint64_t Reply::u64_at(std::size_t offset) const {
    return std::uint64_t(u32_at(offset)) << 32 | u32_at(offset + 4);
}

std::uint32_t Reply::status() const {
    REQUIRE(int(type) == gateway::sftp::FXP_STATUS);
    return u32_at(0);
}

std::string Reply::message() const {
    REQUIRE(int(type) == gateway::sftp::FXP_STATUS);
    std::uint32_t n = u32_at(4);
    REQUIRE(body.size() >= 8 + n);
    return body.substr(8, n);
}

std::string Reply::handle() const {
    INFO("reply type " << int(type) << (type == gateway::sftp::FXP_STATUS ? ": " + message() : ""));
    REQUIRE(int(type) == gateway::sftp::FXP_HANDLE);
    std::uint32_t n = u32_at(0);
    REQUIRE(body.size() == 4 + n);
    return body.substr(4, n);
}

std::string Reply::data() const {
    REQUIRE(int(type) == gateway::sftp::FXP_DATA);
    std::uint32_t n = u32_at(0);
    REQUIRE(body.size() == 4 + n);
    return body.substr(4, n);
}

std::uint64_t Reply::size() const {
    REQUIRE(int(type) == gateway::sftp::FXP_ATTRS);
    REQUIRE((u32_at(0) & gateway::sftp::ATTR_SIZE) != 0);
    return u64_at(4);
}

std::vector<Reply> parse_replies(std::string_view stream) {
    std::vector<Reply> replies;
    while (!stream.empty()) {
        REQUIRE(stream.size() >= 5);
        std::uint32_t len = 0;
        for (int i = 0; i < 4; ++i) len = len << 8 | std::uint8_t(stream[i]);
        INFO("reply of " << len << " bytes, " << stream.size() - 4 << " left in the stream");
        REQUIRE(len >= 1);
        REQUIRE(stream.size() >= 4 + std::size_t(len));
        Reply reply;
        reply.type = std::uint8_t(stream[4]);
        std::string_view rest = stream.substr(5, len - 1);
        if (reply.type != gateway::sftp::FXP_VERSION) {
            REQUIRE(rest.size() >= 4);
            for (int i = 0; i < 4; ++i) reply.id = reply.id << 8 | std::uint8_t(rest[i]);
            rest.remove_prefix(4);
        }
        reply.body = std::string(rest);
        replies.push_back(std::move(reply));
        stream.remove_prefix(4 + std::size_t(len));
    }
    return replies;
}

std::string handle_in(const std::vector<Reply>& replies, std::uint32_t id) {
    for (const auto& r : replies)
        if (r.id == id && r.type != gateway::sftp::FXP_VERSION) return r.handle();
    FAIL("no reply to request " << id);
    return "";
}

std::vector<std::string> split(std::string_view wire, std::size_t size) {
    std::vector<std::string> reads;
    for (std::size_t at = 0; at < wire.size(); at += size)
        reads.emplace_back(wire.substr(at, size));
    return reads;
}

MemoryTransport::MemoryTransport(std::vector<std::string> reads, std::vector<Step> steps)
    : reads_(reads.begin(), reads.end()), steps_(steps.begin(), steps.end()) {}

long MemoryTransport::read(void* buf, std::size_t cap, int) {
    while (reads_.empty() && !steps_.empty()) {
        Step step = std::move(steps_.front());
        steps_.pop_front();
        for (auto& chunk : step(parse_replies(written_))) reads_.push_back(std::move(chunk));
    }
    if (reads_.empty()) return -1;
    long n = take(buf, cap);
    return n > 0 ? n : read(buf, cap, 0);  // an empty read in the script: the next one
}

long MemoryTransport::read_ready(void* buf, std::size_t cap) {
    return taken_ > 0 ? take(buf, cap) : 0;  // the next read has not "arrived" yet
}

long MemoryTransport::take(void* buf, std::size_t cap) {
    if (reads_.empty()) return 0;
    const std::string& front = reads_.front();
    std::size_t n = std::min(cap, front.size() - taken_);
    std::memcpy(buf, front.data() + taken_, n);
    taken_ += n;
    if (taken_ == front.size()) {
        reads_.pop_front();
        taken_ = 0;
    }
    return long(n);
}

bool MemoryTransport::write(const void* data, std::size_t len) {
    written_.append(static_cast<const char*>(data), len);
    ++writes_;
    return true;
}

CodecFixture::CodecFixture() {
    std::filesystem::create_directories(acme());
    std::filesystem::create_directories(dir_ / "other");
    config_.store.root = dir_ / "data";
    config_.store.mount = dir_.path();
    config_.index.database = dir_ / "data/index.sqlite3";  // none: reasons come from the errno
    config::User acme{"acme", config::Role::customer, {}, {}, {}, {}};
    config::User other{"other", config::Role::customer, {}, {}, {}, {}};
    config::User support{"support", config::Role::support, {}, {}, {}, {}};
    config_.users = {acme, other, support};
}

const Reply& CodecFixture::Outcome::to(std::uint32_t id) const {
    auto n = std::count_if(replies.begin(), replies.end(), [&](const Reply& r) {
        return r.id == id && r.type != gateway::sftp::FXP_VERSION;
    });
    INFO("replies to request " << id << ": " << n << " (session ended: " << why << ")");
    REQUIRE(n == 1);
    return *std::find_if(replies.begin(), replies.end(), [&](const Reply& r) {
        return r.id == id && r.type != gateway::sftp::FXP_VERSION;
    });
}

CodecFixture::Outcome CodecFixture::serve(std::vector<std::string> reads, std::vector<Step> steps,
                                          config::Role role) const {
    bool support = role == config::Role::support;
    std::filesystem::path root = support ? store() : acme();
    int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), root.string());
    MemoryTransport transport(std::move(reads), std::move(steps));
    Outcome outcome;
    {
        gateway::SftpContext context{&config_, support ? "support" : "acme", role,
                                     "127.0.0.1:40000", "SSH-2.0-test"};
        gateway::SftpServer server(transport, std::move(context), gateway::Jail(UniqueFd(fd)));
        outcome.why = server.run();
    }  // the server's end: uploads still open are ended as a vanished client's
    outcome.replies = parse_replies(transport.written());
    outcome.stderr_text = transport.stderr_text();
    outcome.writes = transport.writes();
    return outcome;
}

}  // namespace dropgate::test
