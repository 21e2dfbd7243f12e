// Tar details a user of the index relies on: offsets of members with extended headers, and
// where the archive ends.
#include <catch2/catch.hpp>

#include "corpus.hpp"

using namespace dropgate;
using namespace dropgate::test;

namespace {

std::vector<validator::Member> members_of(const TempDir& dir, const std::string& tar_args) {
    REQUIRE(
        sh("cd " + dir.path().string() + " && tar " + tar_args + " -cf b.tar d && gzip -kf b.tar")
            .exit_code == 0);
    MemberLines sink;
    auto verdict = validator::validate_file(dir / "b.tar.gz", {}, &sink);
    INFO(verdict.reason);
    REQUIRE(verdict.accepted);
    return sink.members;
}

}  // namespace

TEST_CASE("a long-named member's header offset is its first extended header, data offset its data",
          "[validator]") {
    for (std::string format : {"pax", "gnu"}) {
        TempDir dir;
        std::string name = std::string(150, 'n') + ".log";
        REQUIRE(sh("mkdir -p " + (dir / "d").string()).exit_code == 0);
        write_file(dir / "d" / name, "long name content\n");
        auto members = members_of(dir, "--format=" + format);
        REQUIRE(members.size() == 2);
        const auto& m = members[1];
        REQUIRE(m.path == "d/" + name);
        std::string raw = read_file(dir / "b.tar");
        INFO(format);
        REQUIRE(raw[m.header_offset + 156] == (format == "pax" ? 'x' : 'L'));
        REQUIRE(m.data_offset > m.header_offset + 1024);
        REQUIRE(m.data_offset % 512 == 0);
        REQUIRE(raw.compare(m.data_offset, m.size, "long name content\n") == 0);
        REQUIRE(raw[m.data_offset - 512 + 156] == '0');  // the member's own ustar header
    }
}

TEST_CASE(
    "an archive that ends after one zero block is accepted; what follows a zero block is ignored",
    "[validator]") {
    TempDir dir;
    REQUIRE(sh("mkdir -p " + (dir / "d").string()).exit_code == 0);
    write_file(dir / "d" / "a.txt", "a");
    write_file(dir / "d" / "b.txt", "b");
    REQUIRE(sh("cd " + dir.path().string() + " && tar -cf b.tar d").exit_code == 0);
    std::string raw = read_file(dir / "b.tar");
    // d/, d/a.txt, d/b.txt: 3 headers + 2 data blocks, then the end-of-archive zeros.
    std::string members = raw.substr(0, 5 * 512);
    std::string zero(512, '\0');
    auto verdict_of = [&](const std::string& tar) {
        write_file(dir / "t.tar", tar);
        REQUIRE(sh("cd " + dir.path().string() + " && gzip -f t.tar").exit_code == 0);
        return validator::validate_file(dir / "t.tar.gz", {});
    };
    auto lone = verdict_of(members + zero);
    REQUIRE(lone.accepted);
    REQUIRE(lone.member_count == 3);
    auto none = verdict_of(members);
    REQUIRE(none.reason == "tar archive truncated (no end-of-archive marker)");
    // GNU tar stops at a zero block too ("A lone zero block"): the member after it is not listed.
    auto after = verdict_of(members + zero + raw.substr(512, 1024) + zero + zero);
    REQUIRE(after.accepted);
    REQUIRE(after.member_count == 3);
}

TEST_CASE("paths are normalised and '..' anywhere is refused", "[validator]") {
    TempDir dir;
    REQUIRE(sh("mkdir -p " + (dir / "d/sub").string()).exit_code == 0);
    write_file(dir / "d" / "sub" / "f", "x");
    REQUIRE(sh("cd " + dir.path().string() + " && tar -cf ok.tar ./d/ && gzip ok.tar").exit_code ==
            0);
    MemberLines sink;
    REQUIRE(validator::validate_file(dir / "ok.tar.gz", {}, &sink).accepted);
    REQUIRE(sink.members.at(0).path == "d");
    REQUIRE(sink.members.at(2).path == "d/sub/f");
    REQUIRE(sh("cd " + dir.path().string() +
               " && tar -cf bad.tar --transform='s,^d/sub,d/../../x,' d && gzip bad.tar")
                .exit_code == 0);
    auto bad = validator::validate_file(dir / "bad.tar.gz", {});
    REQUIRE(bad.reason == "member path escapes the archive: d/../../x/");
    REQUIRE(bad.error == EBADMSG);
}
