// The streaming validator against a corpus of real bundles (Python tarfile, GNU tar, bsdtar,
// pigz), hand-made edge cases and broken ones; Python's tarfile is the independent oracle for
// member lists (for edge cases, what GNU tar reads, spelled out in edge_cases.py).
#include <catch2/catch.hpp>
#include <cerrno>

#include "corpus.hpp"

using namespace dropgate;
using namespace dropgate::test;

namespace {

std::string errno_name(int error) {
    return error == EBADMSG ? "EBADMSG" : error == EFBIG ? "EFBIG" : std::to_string(error);
}

void require_expected(const CorpusCase& c, const Outcome& outcome) {
    INFO("case " << c.name << ": " << outcome.verdict.reason);
    if (c.ok) {
        REQUIRE(outcome.verdict.accepted);
        REQUIRE(outcome.verdict.error == 0);
        REQUIRE(outcome.verdict.reason.empty());
        REQUIRE(outcome.members == c.members);
        REQUIRE(outcome.verdict.member_count == c.members.size());
    } else {
        REQUIRE_FALSE(outcome.verdict.accepted);
        REQUIRE(errno_name(outcome.verdict.error) == c.errno_name);
        if (c.exact)
            REQUIRE(outcome.verdict.reason == c.reason);
        else
            REQUIRE(outcome.verdict.reason.rfind(c.reason, 0) == 0);
    }
}

// The same bytes in chunks of different sizes give the same verdict and the same members.
void require_chunking_invariant(const CorpusCase& c) {
    auto bytes = read_bytes(c.file);
    Outcome whole = validate_bytes(bytes, 0);
    require_expected(c, whole);
    std::vector<std::size_t> chunks = {7, 4093, 65537, 1 << 20};
    if (bytes.size() <= 64 * 1024) chunks.push_back(1);
    for (std::size_t chunk : chunks) {
        INFO("case " << c.name << " fed in chunks of " << chunk);
        Outcome part = validate_bytes(bytes, chunk);
        REQUIRE(part.verdict.accepted == whole.verdict.accepted);
        REQUIRE(part.verdict.reason == whole.verdict.reason);
        REQUIRE(part.verdict.error == whole.verdict.error);
        REQUIRE(part.verdict.sha256 == whole.verdict.sha256);
        REQUIRE(part.verdict.bytes == whole.verdict.bytes);
        // After a refusal the validator stops inflating as soon as it can, which depends on
        // where the writes end; an accepted bundle is fully counted.
        if (whole.verdict.accepted) {
            REQUIRE(part.verdict.uncompressed_bytes == whole.verdict.uncompressed_bytes);
            REQUIRE(part.verdict.gzip_members == whole.verdict.gzip_members);
            REQUIRE(part.members == whole.members);
        }
    }
}

}  // namespace

TEST_CASE("valid bundles of every flavour are accepted with the members tar itself lists",
          "[validator]") {
    TempDir dir;
    auto cases = make_corpus(dir, "valid");
    REQUIRE(cases.size() >= 20);
    for (const auto& c : cases) {
        auto bytes = read_bytes(c.file);
        Outcome outcome = validate_bytes(bytes, 0);
        require_expected(c, outcome);
        REQUIRE(outcome.verdict.sha256 == validator::sha256_file(c.file));
        REQUIRE(outcome.verdict.bytes == bytes.size());
    }
}

TEST_CASE("malformed bundles are refused with a specific reason", "[validator]") {
    TempDir dir;
    auto cases = make_corpus(dir, "invalid");
    REQUIRE(cases.size() >= 30);
    for (const auto& c : cases) require_expected(c, validate_bytes(read_bytes(c.file), 0));
}

TEST_CASE("hand-made header encodings and pax records get the verdict GNU tar and bsdtar give",
          "[validator]") {
    TempDir dir;
    auto cases = make_corpus(dir, "edge");
    REQUIRE(cases.size() >= 150);
    for (const auto& c : cases) require_expected(c, validate_bytes(read_bytes(c.file), 0));
}

TEST_CASE("the verdict does not depend on how the upload is split into writes", "[validator]") {
    for (std::string kind : {"valid", "invalid", "edge"}) {
        TempDir dir;
        for (const auto& c : make_corpus(dir, kind)) require_chunking_invariant(c);
    }
}

TEST_CASE("damaged bundles always get a one-line verdict, whatever the write sizes",
          "[validator]") {
    TempDir dir;
    auto cases = make_corpus(dir, "mutated");
    REQUIRE(cases.size() == 150);
    for (const auto& c : cases) {
        auto bytes = read_bytes(c.file);
        Outcome whole = validate_bytes(bytes, 0);
        INFO("case " << c.name << ": " << whole.verdict.reason);
        REQUIRE(whole.verdict.accepted == whole.verdict.reason.empty());
        REQUIRE(whole.verdict.reason.find('\n') == std::string::npos);
        for (std::size_t chunk : {std::size_t(1) << 10, std::size_t(4093)}) {
            Outcome part = validate_bytes(bytes, chunk);
            REQUIRE(part.verdict.reason == whole.verdict.reason);
            if (whole.verdict.accepted) REQUIRE(part.members == whole.members);
        }
    }
}

TEST_CASE("GNU tar and bsdtar agree with the validator on which members a bundle has",
          "[validator]") {
    TempDir valid_dir, edge_dir;
    auto cases = make_corpus(valid_dir, "valid");
    for (auto& c : make_corpus(edge_dir, "edge"))
        if (c.ok) cases.push_back(std::move(c));
    for (const auto& c : cases) {
        Outcome outcome = validate_bytes(read_bytes(c.file), 0);
        REQUIRE(outcome.verdict.accepted);
        for (std::string tool : {"tar", "bsdtar"}) {
            auto listed = run({tool, "-tzf", c.file.string()});
            INFO(tool << " on " << c.name << ": " << listed.err);
            REQUIRE(listed.exit_code == 0);
            std::size_t lines = std::count(listed.out.begin(), listed.out.end(), '\n');
            // GNU tar also prints a volume label ('V' header), which is not a member.
            if (tool == "tar" && c.name.find("volume_label") != std::string::npos) --lines;
            REQUIRE(lines == outcome.verdict.member_count);
        }
    }
}

TEST_CASE("member offsets point at the header and the data in the uncompressed stream",
          "[validator]") {
    TempDir dir;
    auto tar = dir / "b.tar";
    write_file(dir / "one.txt", std::string(1000, 'a'));
    write_file(dir / "two.txt", "second file");
    REQUIRE(sh("cd " + dir.path().string() + " && tar --format=gnu -cf b.tar one.txt two.txt")
                .exit_code == 0);
    REQUIRE(sh("cd " + dir.path().string() + " && gzip -k b.tar").exit_code == 0);
    MemberLines sink;
    auto verdict = validator::validate_file(dir / "b.tar.gz", {}, &sink);
    REQUIRE(verdict.accepted);
    REQUIRE(sink.members.size() == 2);
    std::string raw = read_file(tar);
    for (const auto& m : sink.members) {
        INFO(m.path);
        REQUIRE(raw.compare(m.header_offset, m.path.size(), m.path) == 0);
        REQUIRE(m.data_offset == m.header_offset + 512);
        REQUIRE(raw.compare(m.data_offset, m.size, read_file(dir / m.path)) == 0);
    }
    REQUIRE(sink.members[1].header_offset == 512 + 1024);
}

TEST_CASE("a hash detached mid-stream and continued by the caller gives the same verdict and SHA",
          "[validator]") {
    TempDir valid_dir, invalid_dir;
    auto cases = make_corpus(valid_dir, "valid");
    for (auto& c : make_corpus(invalid_dir, "invalid")) cases.push_back(std::move(c));
    for (const auto& c : cases) {
        auto bytes = read_bytes(c.file);
        Outcome whole = validate_bytes(bytes, 0);
        for (std::size_t split : {std::size_t(0), bytes.size() / 3, bytes.size()}) {
            INFO("case " << c.name << ", hash detached after " << split << " bytes");
            MemberLines sink;
            validator::StreamValidator validator(validator::Limits{}, &sink);
            validator.feed({bytes.data(), split});
            validator::Sha256 sha = validator.detach_hash();
            std::span<const std::uint8_t> rest(bytes.data() + split, bytes.size() - split);
            validator.feed(rest);
            sha.update(rest);
            validator::Verdict verdict = validator.finish(sha.hex_digest());
            REQUIRE(verdict.sha256 == whole.verdict.sha256);
            REQUIRE(verdict.accepted == whole.verdict.accepted);
            REQUIRE(verdict.reason == whole.verdict.reason);
            if (whole.verdict.accepted) REQUIRE(sink.lines == whole.members);
        }
    }
}
