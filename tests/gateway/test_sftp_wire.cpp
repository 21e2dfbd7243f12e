// sftp::Reader and sftp::Writer on their own: big-endian fields, length-prefixed strings, and
// nothing read past the end of a packet whatever its length fields claim.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "sftp_harness.hpp"
#include "sftp_wire.hpp"

using dropgate::gateway::sftp::BadMessage;
using dropgate::gateway::sftp::Reader;
using dropgate::gateway::sftp::Writer;
using dropgate::test::Packet;

namespace {

std::vector<std::uint8_t> bytes_of(const std::string& s) {
    return {s.begin(), s.end()};
}

// A reader over the payload of `packet` (its length field dropped).
struct Payload {
    explicit Payload(const Packet& packet) : data(bytes_of(packet.wire().substr(4))) {}
    Reader reader() const { return Reader(data.data(), data.size()); }
    std::vector<std::uint8_t> data;
};

}  // namespace

TEST_CASE("Reader decodes big-endian integers and length-prefixed strings in order") {
    Payload p(Packet(7).u32(0x01020304).u64(0x1122334455667788ull).str("hello").str("").u8(9));
    Reader in = p.reader();
    CHECK(in.u8() == 7);
    CHECK(in.u32() == 0x01020304u);
    CHECK(in.u64() == 0x1122334455667788ull);
    CHECK(in.bytes() == "hello");
    CHECK(in.string().empty());
    CHECK(in.remaining() == 1);
    CHECK(in.u8() == 9);
    CHECK(in.remaining() == 0);
}

TEST_CASE("Reader refuses a field cut off by the end of the packet") {
    Payload p(Packet(1).raw("abc"));  // four bytes in all
    SECTION("u32 over the end") {
        Reader in = p.reader();
        in.u8();
        CHECK_THROWS_AS(in.u32(), BadMessage);
    }
    SECTION("u64 over the end") {
        Reader in = p.reader();
        CHECK_THROWS_WITH(in.u64(), "request shorter than its fields");
    }
    SECTION("u8 past the last byte") {
        Reader in = p.reader();
        for (int i = 0; i < 4; ++i) in.u8();
        CHECK_THROWS_AS(in.u8(), BadMessage);
    }
}

TEST_CASE("Reader refuses a string whose length field is larger than the packet") {
    for (std::uint32_t claimed : {6u, 1000u, 0x7fffffffu, 0xffffffffu}) {
        INFO("claimed length " << claimed);
        Payload p(Packet(0).u32(claimed).raw("short"));
        Reader in = p.reader();
        in.u8();
        CHECK_THROWS_WITH(in.bytes(), "request shorter than its fields");
    }
    Payload exact(Packet(0).u32(5).raw("short"));
    Reader in = exact.reader();
    in.u8();
    CHECK(in.bytes() == "short");  // exactly to the end is fine
}

TEST_CASE("Reader::path refuses a NUL byte anywhere in a path, string() keeps it") {
    for (std::string path :
         {std::string("/a\0b", 4), std::string("\0", 1), std::string("/x.tgz\0.filepart", 16)}) {
        Payload p(Packet(0).str(path));
        Reader in = p.reader();
        in.u8();
        Reader copy = in;
        CHECK_THROWS_WITH(in.path(), "NUL byte in a path");
        CHECK(copy.string() == path);
    }
    Payload ok(Packet(0).str("/a/b.tgz"));
    Reader in = ok.reader();
    in.u8();
    CHECK(in.path() == "/a/b.tgz");
}

TEST_CASE("a copy of a Reader peeks without moving the original") {
    Payload p(Packet(3).str("/p").u32(42));
    Reader in = p.reader();
    in.u8();
    Reader peek = in;
    peek.bytes();
    CHECK(peek.u32() == 42);
    CHECK(in.path() == "/p");
}

TEST_CASE("Writer frames a reply: its length field counts everything after it") {
    std::vector<std::uint8_t> out;
    out.reserve(4096);  // as the server's reply buffer; GCC 12 misreads growth from empty (-O3)
    Writer w(out);
    w.begin(101);
    w.u32(7);
    w.u32(0);
    w.bytes("ok");
    w.bytes("en");
    w.finish();
    REQUIRE(out.size() == 4 + 1 + 4 + 4 + 6 + 6);
    Reader in(out.data(), out.size());
    CHECK(in.u32() == out.size() - 4);
    CHECK(in.u8() == 101);
    CHECK(in.u32() == 7);
    CHECK(in.u32() == 0);
    CHECK(in.bytes() == "ok");
    CHECK(in.bytes() == "en");
}

TEST_CASE("Writer appends several replies to one buffer, each with its own length") {
    std::vector<std::uint8_t> out;
    out.reserve(4096);  // as the server's reply buffer; GCC 12 misreads growth from empty (-O3)
    Writer w(out);
    w.begin(102);
    w.u32(1);
    w.bytes(std::string(300, 'h'));
    w.finish();
    w.begin(103);
    w.u32(2);
    w.u64(0x0102030405060708ull);
    w.finish();
    auto replies = dropgate::test::parse_replies(std::string(out.begin(), out.end()));
    REQUIRE(replies.size() == 2);
    CHECK(replies[0].type == 102);
    CHECK(replies[0].id == 1);
    CHECK(replies[0].body == std::string("\0\0\x01\x2c", 4) + std::string(300, 'h'));
    CHECK(replies[1].type == 103);
    CHECK(replies[1].u64_at(0) == 0x0102030405060708ull);
}
