// The SFTP codec's framing and its defences, in process: the real SftpServer over an in-memory
// byte stream (tests/gateway/sftp_harness.hpp). Packets split across reads, many packets in one
// read, truncated fields, and length fields — packet, string, handle — that claim too much.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sftp_harness.hpp"

using namespace dropgate::gateway::sftp;
using dropgate::test::close_request;
using dropgate::test::CodecFixture;
using dropgate::test::extended;
using dropgate::test::handle_in;
using dropgate::test::init_packet;
using dropgate::test::kNoAttrs;
using dropgate::test::kUpload;
using dropgate::test::open_request;
using dropgate::test::read_file;
using dropgate::test::read_request;
using dropgate::test::Reply;
using dropgate::test::request;
using dropgate::test::split;
using dropgate::test::stat_request;
using dropgate::test::Step;
using dropgate::test::write_file;
using dropgate::test::write_request;

namespace {

const std::string kClosed = "client closed the channel";

std::string pattern(std::size_t n) {
    std::string data(n, '\0');
    for (std::size_t i = 0; i < n; ++i) data[i] = char('a' + i * 7 % 26);
    return data;
}

// An upload of `data` to `path` as steps: OPEN (id 1); WRITEs of `chunk` bytes (ids 10…);
// CLOSE (id 2); STAT (id 3). `cut` splits each step's bytes into reads of that size.
std::vector<Step> upload_steps(std::string path, std::string data, std::size_t chunk,
                               std::size_t cut) {
    Step open = [=](const auto&) {
        return split(init_packet() + open_request(1, path, kUpload), cut);
    };
    Step rest = [=](const std::vector<Reply>& so_far) {
        std::string h = handle_in(so_far, 1), wire;
        for (std::size_t off = 0, id = 10; off < data.size(); off += chunk, ++id)
            wire += write_request(std::uint32_t(id), h, off, data.substr(off, chunk));
        return split(wire + close_request(2, h) + stat_request(3, path), cut);
    };
    return {open, rest};
}

void check_upload(const CodecFixture& fx, const CodecFixture::Outcome& out, const std::string& data,
                  std::size_t writes) {
    INFO(out.why << "\n" << out.stderr_text);
    CHECK(out.why == kClosed);
    REQUIRE(out.replies.size() == 1 + 1 + writes + 2);  // VERSION, HANDLE, WRITEs, CLOSE, STAT
    for (std::uint32_t id = 10; id < 10 + writes; ++id) CHECK(out.to(id).status() == FX_OK);
    CHECK(out.to(2).status() == FX_OK);
    CHECK(out.to(2).message() == "upload complete");
    CHECK(out.to(3).size() == data.size());
    CHECK(read_file(fx.acme() / "split.tgz") == data);
}

}  // namespace

TEST_CASE("codec: INIT is answered with VERSION 3 and the extensions dropgate implements") {
    CodecFixture fx;
    auto out = fx.serve({init_packet(6)});  // a newer client: v3 is what it gets
    CHECK(out.why == kClosed);
    REQUIRE(out.replies.size() == 1);
    const Reply& version = out.replies[0];
    REQUIRE(version.type == FXP_VERSION);
    CHECK(version.u32_at(0) == 3);
    std::vector<std::string> names;
    for (std::size_t at = 4; at < version.body.size();) {
        std::uint32_t n = version.u32_at(at);
        names.push_back(version.body.substr(at + 4, n));
        at += 4 + n;
        at += 4 + version.u32_at(at);  // the extension's version string
    }
    CHECK(names == std::vector<std::string>{"posix-rename@openssh.com", "statvfs@openssh.com",
                                            "fstatvfs@openssh.com", "fsync@openssh.com",
                                            "limits@openssh.com"});
}

TEST_CASE("codec: requests before INIT, or a second INIT, end the session unanswered") {
    CodecFixture fx;
    auto early = fx.serve({stat_request(1, "/") + init_packet()});
    CHECK(early.why == "protocol error: request type 17 before INIT");
    CHECK(early.replies.empty());
    auto twice =
        fx.serve({init_packet() + stat_request(1, "/") + init_packet() + stat_request(2, "/")});
    CHECK(twice.why == "protocol error: INIT received twice");
    REQUIRE(twice.replies.size() == 2);  // VERSION and the STAT before the second INIT
    CHECK(twice.to(1).type == FXP_ATTRS);
}

TEST_CASE("codec: an upload whose packets arrive one byte per read is served as if whole") {
    CodecFixture fx;
    const std::string data = pattern(5000);
    auto out = fx.serve({}, upload_steps("/split.tgz", data, 1000, 1));
    check_upload(fx, out, data, 5);
}

TEST_CASE("codec: a large WRITE split across reads at odd places is reassembled") {
    CodecFixture fx;
    const std::string data = pattern(200 * 1024 + 3);
    // One WRITE of all the data, cut into reads of 65,537 bytes: a cut falls inside the length
    // field of the next packet, another inside the data.
    auto out = fx.serve({}, upload_steps("/split.tgz", data, data.size(), 65537));
    check_upload(fx, out, data, 1);
}

TEST_CASE("codec: many pipelined packets in one read are answered in order, in one batch") {
    CodecFixture fx;
    write_file(fx.acme() / "here.tgz", "x");
    std::string wire = init_packet();
    for (std::uint32_t id = 1; id <= 300; ++id)
        wire += stat_request(id, id % 2 ? "/here.tgz" : "/missing.tgz");
    auto out = fx.serve({wire});
    CHECK(out.why == kClosed);
    REQUIRE(out.replies.size() == 301);
    CHECK(out.writes == 1);  // the replies to one read leave in one channel write
    for (std::uint32_t id = 1; id <= 300; ++id) {
        const Reply& r = out.replies[id];  // replies[0] is VERSION: order is request order
        REQUIRE(r.id == id);
        if (id % 2) {
            CHECK(r.size() == 1);
        } else {
            CHECK(r.status() == FX_NO_SUCH_FILE);
            CHECK(r.message() == "/missing.tgz: No such file or directory");
        }
    }
}

TEST_CASE("codec: pipelined WRITEs in one read are applied in order and each answered OK") {
    CodecFixture fx;
    const std::string data = pattern(50 * 1000);
    auto out = fx.serve({}, upload_steps("/split.tgz", data, 1000, data.size() * 2));
    check_upload(fx, out, data, 50);
}

TEST_CASE("codec: a truncated field is BAD_MESSAGE naming the request, and the session goes on") {
    CodecFixture fx;
    write_file(fx.acme() / "r.tgz", "readable");
    auto steps = std::vector<Step>{
        [](const auto&) {
            return std::vector<std::string>{init_packet() + open_request(1, "/r.tgz", FXF_READ)};
        },
        [](const std::vector<Reply>& so_far) {
            std::string h = handle_in(so_far, 1);
            return std::vector<std::string>{
                request(FXP_OPEN, 10).u32(1000).raw("abc").wire() +  // path longer than the packet
                request(FXP_OPEN, 11).str("/n.tgz").wire() +         // no pflags
                request(FXP_READ, 12).str(h).u64(0).wire() +         // no length
                request(FXP_WRITE, 13).str(h).u64(0).u32(100).raw("ten bytes!").wire() +
                request(FXP_RENAME, 14).str("/a.tgz.part").wire() +             // no target
                request(FXP_SETSTAT, 15).str("/r.tgz").u32(ATTR_SIZE).wire() +  // no size
                request(FXP_MKDIR, 16).str("/d").wire() +                       // no attributes
                request(FXP_READDIR, 17).u32(8).raw("abc").wire() +             // handle cut short
                request(FXP_EXTENDED, 18).u32(32).raw("limits").wire() +        // name cut short
                stat_request(19, "/r.tgz")};
        }};
    auto out = fx.serve({}, steps);
    INFO(out.why);
    CHECK(out.why == kClosed);
    const char* names[] = {"open",   "open",    "read",  "write",
                           "rename", "setstat", "mkdir", "readdir"};
    for (std::uint32_t id = 10; id <= 17; ++id) {
        INFO("request " << id);
        CHECK(out.to(id).status() == FX_BAD_MESSAGE);
        CHECK(out.to(id).message() ==
              "malformed " + std::string(names[id - 10]) + ": request shorter than its fields");
    }
    CHECK(out.to(18).status() == FX_BAD_MESSAGE);  // before its entry is known: no name to give
    CHECK(out.to(18).message() == "request shorter than its fields");
    CHECK(out.to(19).size() == 8);  // and the session still works
    CHECK(read_file(fx.acme() / "r.tgz") == "readable");
    CHECK_FALSE(std::filesystem::exists(fx.acme() / "d"));
}

TEST_CASE("codec: a packet without a request id ends the session") {
    CodecFixture fx;
    auto out = fx.serve({init_packet() + stat_request(1, "/") + std::string("\0\0\0\x01\x11", 5) +
                         stat_request(2, "/")});
    CHECK(out.why == "protocol error: packet without a request id");
    REQUIRE(out.replies.size() == 2);  // what came before it is still answered
    CHECK(out.to(1).type == FXP_ATTRS);
}

TEST_CASE(
    "codec: a packet length over 257 KiB or of 0 ends the session, one at the limit is served") {
    CodecFixture fx;
    for (std::uint32_t bad : {kMaxPacket + 1, 0xffffffffu, 0u}) {
        INFO("length " << bad);
        auto out =
            fx.serve({init_packet() + stat_request(1, "/") +
                      request(FXP_STAT, 2).str("/").wire_with_length(bad) + stat_request(3, "/")});
        CHECK(out.why == "packet of " + std::to_string(bad) + " bytes exceeds the limit");
        REQUIRE(out.replies.size() == 2);  // VERSION and request 1, flushed before the end
        CHECK(out.to(1).type == FXP_ATTRS);
    }
    // A WRITE packet of exactly kMaxPacket bytes.
    const std::string data = pattern(kMaxPacket - (1 + 4 + 4 + 8 + 8 + 4));
    auto out = fx.serve({}, upload_steps("/split.tgz", data, data.size(), 100000));
    check_upload(fx, out, data, 1);
}

TEST_CASE("codec: string and handle length fields beyond the packet are BAD_MESSAGE") {
    CodecFixture fx;
    auto out = fx.serve({init_packet() + request(FXP_STAT, 1).u32(0xffffffffu).raw("/").wire() +
                         request(FXP_CLOSE, 2).u32(0xffffffffu).wire() +
                         request(FXP_READ, 3).u32(0x10000).raw("12345678").u64(0).u32(10).wire() +
                         extended(4, "posix-rename@openssh.com").u32(0xfffffff0u).wire() +
                         stat_request(5, "/")});
    CHECK(out.why == kClosed);
    for (std::uint32_t id = 1; id <= 4; ++id) {
        INFO("request " << id);
        CHECK(out.to(id).status() == FX_BAD_MESSAGE);
    }
    CHECK(out.to(1).message() == "malformed stat: request shorter than its fields");
    CHECK(out.to(4).message() == "malformed posix-rename: request shorter than its fields");
    CHECK(out.to(5).type == FXP_ATTRS);
}

TEST_CASE("codec: a handle of the wrong length or a forged one is an invalid handle") {
    CodecFixture fx;
    write_file(fx.acme() / "r.tgz", "readable");
    std::vector<Step> steps{
        [](const auto&) {
            return std::vector<std::string>{init_packet() + open_request(1, "/r.tgz", FXF_READ)};
        },
        [](const std::vector<Reply>& so_far) {
            std::string h = handle_in(so_far, 1);
            std::string other_generation = h, other_slot = h;
            other_generation[7] ^= 1;
            other_slot[3] ^= 1;
            return std::vector<std::string>{
                read_request(10, "", 0, 4) + read_request(11, h.substr(0, 4), 0, 4) +
                read_request(12, h + "x", 0, 4) + read_request(13, other_generation, 0, 4) +
                read_request(14, other_slot, 0, 4) + close_request(15, other_generation) +
                read_request(16, h, 0, 4)};
        }};
    auto out = fx.serve({}, steps);
    for (std::uint32_t id = 10; id <= 15; ++id) {
        INFO("request " << id);
        CHECK(out.to(id).status() == FX_FAILURE);
        CHECK(out.to(id).message() == "invalid handle");
    }
    CHECK(out.to(16).data() == "read");  // the real handle still works
}

TEST_CASE("codec: unknown request types and extensions are OP_UNSUPPORTED, by name") {
    CodecFixture fx;
    auto out =
        fx.serve({init_packet() + request(99, 1).wire() + request(FXP_STATUS, 2).u32(0).wire() +
                  extended(3, "nonsense@example.com").wire() +
                  extended(4, "copy-data").str("x").wire() + stat_request(5, "/")});
    CHECK(out.to(1).status() == FX_OP_UNSUPPORTED);
    CHECK(out.to(1).message() == "unsupported request type 99");
    CHECK(out.to(2).status() == FX_OP_UNSUPPORTED);
    CHECK(out.to(3).status() == FX_OP_UNSUPPORTED);
    CHECK(out.to(3).message() == "unsupported extension: nonsense@example.com");
    CHECK(out.to(4).message() == "unsupported extension: copy-data");
    CHECK(out.to(5).type == FXP_ATTRS);
}

TEST_CASE("codec: a NUL byte in a path is BAD_MESSAGE and nothing is created") {
    CodecFixture fx;
    auto out = fx.serve({init_packet() + open_request(1, std::string("/a.tgz\0.txt", 11), kUpload) +
                         request(FXP_MKDIR, 2).str(std::string("/d\0x", 4)).u32(kNoAttrs).wire() +
                         stat_request(3, std::string("/\0", 2))});
    for (std::uint32_t id = 1; id <= 3; ++id) {
        INFO("request " << id);
        CHECK(out.to(id).status() == FX_BAD_MESSAGE);
        CHECK_THAT(out.to(id).message(), Catch::EndsWith("NUL byte in a path"));
    }
    CHECK(std::filesystem::is_empty(fx.acme()));
}
