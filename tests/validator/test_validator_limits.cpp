// Limits, truncation at every kind of offset, long-name offsets, name checks and wording.
#include <catch2/catch.hpp>
#include <cerrno>

#include "corpus.hpp"
#include "dropgate/base/sizes.hpp"

using namespace dropgate;
using namespace dropgate::test;

namespace {

// A realistic little bundle: log text and random bytes, several members.
std::vector<std::uint8_t> make_bundle(const TempDir& dir, int files = 5,
                                      const std::string& gzip = "gzip") {
    std::string script = "cd " + dir.path().string() + " && mkdir -p b && for i in $(seq 1 " +
                         std::to_string(files) +
                         "); do seq 1 $((i * 3000)) > b/log$i.txt; done"
                         " && head -c 50000 /dev/urandom > b/core.bin"
                         " && tar -cf - b | " +
                         gzip + " > b.tgz";
    REQUIRE(sh(script).exit_code == 0);
    return read_bytes(dir / "b.tgz");
}

}  // namespace

TEST_CASE("a bundle cut anywhere inside its gzip stream is refused as truncated at that byte",
          "[validator]") {
    TempDir dir;
    auto bytes = make_bundle(dir);
    std::vector<std::size_t> cuts = {1,
                                     2,
                                     3,
                                     9,
                                     10,
                                     11,
                                     100,
                                     4096,
                                     bytes.size() / 3,
                                     bytes.size() / 2,
                                     bytes.size() - 9,
                                     bytes.size() - 8,
                                     bytes.size() - 4,
                                     bytes.size() - 1};
    for (std::size_t cut : cuts) {
        INFO("cut at " << cut);
        std::vector<std::uint8_t> head(bytes.begin(), bytes.begin() + cut);
        auto outcome = validate_bytes(head, 65536);
        REQUIRE(outcome.verdict.error == EBADMSG);
        REQUIRE(outcome.verdict.reason ==
                "truncated: gzip stream ends at byte " + std::to_string(cut));
    }
}

TEST_CASE("a multi-member gzip cut exactly between members is judged by its tar content",
          "[validator]") {
    TempDir dir;
    make_bundle(dir);
    // Split the tar at a block boundary inside a member, compress both halves separately.
    REQUIRE(sh("cd " + dir.path().string() +
               " && gunzip -c b.tgz > b.tar && head -c 20480 b.tar | gzip > a.gz"
               " && tail -c +20481 b.tar | gzip > c.gz && cat a.gz c.gz > two.tgz")
                .exit_code == 0);
    auto first = read_bytes(dir / "a.gz");
    auto outcome = validate_bytes(first, 4093);
    REQUIRE(outcome.verdict.reason.rfind(
                "tar archive truncated (stream ends at offset 20480 inside member b/", 0) == 0);
    auto both = validate_bytes(read_bytes(dir / "two.tgz"), 4093);
    REQUIRE(both.verdict.accepted);
    REQUIRE(both.verdict.gzip_members == 2);
}

TEST_CASE("a member-count bomb stops at max_members with EFBIG", "[validator]") {
    TempDir dir;
    auto bytes = make_bundle(dir, 40);
    validator::Limits limits;
    limits.max_members = 10;
    auto outcome = validate_bytes(bytes, 4096, limits);
    REQUIRE(outcome.verdict.error == EFBIG);
    REQUIRE(outcome.verdict.reason == "more than max_members 10 members");
    REQUIRE(outcome.members.size() == 10);
    limits.max_members = 42;  // directory + 40 logs + core.bin: exactly at the limit is fine
    REQUIRE(validate_bytes(bytes, 4096, limits).verdict.accepted);
}

TEST_CASE("size limits refuse with EFBIG and say the limit in human units", "[validator]") {
    TempDir dir;
    auto bytes = make_bundle(dir, 30);
    validator::Limits limits;
    limits.max_uncompressed_size = 1 << 20;
    auto big = validate_bytes(bytes, 65536, limits);
    REQUIRE(big.verdict.error == EFBIG);
    REQUIRE(big.verdict.reason == "uncompressed size exceeds max_uncompressed_size 1 MiB");

    validator::Limits small;
    small.max_bundle_size = 100000;
    auto huge = validate_bytes(bytes, 65536, small);
    REQUIRE(huge.verdict.error == EFBIG);
    REQUIRE(huge.verdict.reason == "bundle exceeds max_bundle_size 97.7 KiB");
    // Hashing and counting go on after the refusal: the store still records size and digest.
    REQUIRE(huge.verdict.bytes == bytes.size());
    REQUIRE(huge.verdict.sha256 == validator::sha256_file(dir / "b.tgz"));

    REQUIRE(human_size(64ull << 30) == "64 GiB");
    REQUIRE(human_size(1ull << 40) == "1 TiB");
    REQUIRE(human_size(1536ull << 20) == "1.5 GiB");
    REQUIRE(human_size(100) == "100 bytes");
}

TEST_CASE("a small bundle that compresses very well is not a ratio bomb", "[validator]") {
    TempDir dir;
    // 10 KiB of tar around an empty file compresses ~100:1: within the grace.
    REQUIRE(sh("cd " + dir.path().string() + " && touch empty && tar czf e.tgz empty").exit_code ==
            0);
    validator::Limits limits;
    limits.max_compression_ratio = 2;
    limits.ratio_grace_bytes = 1 << 20;
    auto outcome = validate_bytes(read_bytes(dir / "e.tgz"), 0, limits);
    REQUIRE(outcome.verdict.accepted);
    // The same limit refuses a bundle whose output outgrows ratio x input + grace.
    auto bytes = make_bundle(dir, 30);
    auto refused = validate_bytes(bytes, 0, limits);
    REQUIRE(refused.verdict.error == EFBIG);
    REQUIRE(refused.verdict.reason == "compression ratio exceeds max_compression_ratio 2");
}

TEST_CASE("the ratio is judged on the totals so far: zeros after enough other content pass",
          "[validator]") {
    TempDir dir;
    // 16 MiB of zeros (~16 KiB compressed) and 128 KiB of random bytes (incompressible).
    REQUIRE(sh("cd " + dir.path().string() +
               " && mkdir -p b && head -c 131072 /dev/urandom > b/a.core && truncate -s 16M b/z.img"
               " && tar -cf - b/a.core b/z.img | gzip > random_first.tgz"
               " && tar -cf - b/z.img b/a.core | gzip > zeros_first.tgz")
                .exit_code == 0);
    validator::Limits limits;  // ratio 200, grace 1 MiB: 16 MiB needs ~80 KiB compressed before it
    limits.ratio_grace_bytes = 1 << 20;
    auto paid = validator::validate_file(dir / "random_first.tgz", limits);
    INFO(paid.reason);
    REQUIRE(paid.accepted);
    auto unpaid = validator::validate_file(dir / "zeros_first.tgz", limits);
    REQUIRE(unpaid.error == EFBIG);
    REQUIRE(unpaid.reason == "compression ratio exceeds max_compression_ratio 200");
}

TEST_CASE("a bundle holding 64 MiB of zeros stored without --sparse is accepted", "[validator]") {
    TempDir dir;
    REQUIRE(sh("cd " + dir.path().string() +
               " && mkdir -p b && truncate -s 64M b/lastlog && seq 1 20000 > b/messages"
               " && tar -cf - b | gzip -6 > b.tgz")
                .exit_code == 0);
    auto bytes = read_bytes(dir / "b.tgz");
    auto outcome = validate_bytes(bytes, 65536);
    INFO(outcome.verdict.reason);
    REQUIRE(outcome.verdict.accepted);
    REQUIRE(outcome.verdict.uncompressed_bytes > (64u << 20));
    // Far beyond max_compression_ratio 200 as a whole, and still accepted.
    REQUIRE(outcome.verdict.uncompressed_bytes / bytes.size() > 500);
}

TEST_CASE("a 1 GiB zero-filled core file tarred without --sparse, with some text, is accepted",
          "[validator]") {
    TempDir dir;
    REQUIRE(sh("cd " + dir.path().string() +
               " && mkdir -p b && truncate -s 1G b/core && seq 1 200000 > b/app.log"
               " && tar -cf - b | pigz -p 2 > b.tgz")
                .exit_code == 0);
    auto verdict = validator::validate_file(dir / "b.tgz", {});
    INFO(verdict.reason);
    REQUIRE(verdict.accepted);
    REQUIRE(verdict.member_count == 3);
    REQUIRE(verdict.uncompressed_bytes > (1ull << 30));
}

TEST_CASE("a decompression bomb is refused with EFBIG after about 1 GiB of output, not 8",
          "[validator]") {
    TempDir dir;
    // A tar header for an 8 GiB file, its data as 128 gzip members of 64 MiB of zeros each
    // (about 8 MiB in all), then the end-of-archive blocks: a valid bundle of 8 GiB.
    REQUIRE(
        sh("cd " + dir.path().string() +
           " && truncate -s 8G zeros.img && (tar -cf - zeros.img | head -c 512 | gzip > bomb.tgz)"
           " ; head -c 64M /dev/zero | gzip -6 > z.gz"
           " && for i in $(seq 128); do cat z.gz; done >> bomb.tgz"
           " && head -c 10240 /dev/zero | gzip >> bomb.tgz")
            .exit_code == 0);
    auto verdict = validator::validate_file(dir / "bomb.tgz", {});
    REQUIRE(verdict.error == EFBIG);
    REQUIRE(verdict.reason == "compression ratio exceeds max_compression_ratio 200");
    // It stopped inflating soon after output passed 200 x input + 1 GiB (~1.3 GiB here).
    REQUIRE(verdict.uncompressed_bytes > (1ull << 30));
    REQUIRE(verdict.uncompressed_bytes < (3ull << 29));
    REQUIRE(verdict.bytes == std::filesystem::file_size(dir / "bomb.tgz"));
}

TEST_CASE("a refused upload stops costing CPU: later feeds only hash", "[validator]") {
    validator::StreamValidator validator({});
    std::vector<std::uint8_t> zip = {0x50, 0x4b, 0x03, 0x04, 1, 2, 3};
    REQUIRE_FALSE(validator.feed(zip));
    REQUIRE(validator.failed());
    std::vector<std::uint8_t> more(1 << 20, 0x1f);
    REQUIRE_FALSE(validator.feed(more));
    REQUIRE(validator.bytes_fed() == zip.size() + more.size());
    auto verdict = validator.finish();
    REQUIRE(verdict.reason == "not gzip (bad magic 50 4b 03 04: looks like zip)");
}

TEST_CASE("Limits are taken from the store config", "[validator]") {
    config::Store store;
    store.max_bundle_size = 1;
    store.max_uncompressed_size = 2;
    store.max_compression_ratio = 3;
    store.max_members = 4;
    auto limits = validator::Limits::from(store);
    REQUIRE(limits.max_bundle_size == 1);
    REQUIRE(limits.max_uncompressed_size == 2);
    REQUIRE(limits.max_compression_ratio == 3);
    REQUIRE(limits.max_members == 4);
}
