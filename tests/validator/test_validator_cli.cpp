// `dropgate validate` as a customer runs it before uploading: output lines and exit codes.
#include <catch2/catch.hpp>

#include "corpus.hpp"

using namespace dropgate;
using namespace dropgate::test;

namespace {

void make_good_bundle(const TempDir& dir, const std::string& name) {
    REQUIRE(sh("cd " + dir.path().string() + " && mkdir -p src && seq 1 5000 > src/a.log" +
               " && echo hi > src/b.txt && tar czf " + name + " src")
                .exit_code == 0);
}

}  // namespace

TEST_CASE("validate prints OK with the SHA-256 and member count and exits 0", "[validator][cli]") {
    TempDir dir;
    make_good_bundle(dir, "good.tgz");
    auto result = run({dropgate_bin(), "validate", (dir / "good.tgz").string()});
    REQUIRE(result.exit_code == 0);
    REQUIRE(result.out == "OK " + validator::sha256_file(dir / "good.tgz") + " 3 members\n");
    REQUIRE(result.err.empty());
}

TEST_CASE("validate prints REJECTED with the reason and exits 1", "[validator][cli]") {
    TempDir dir;
    make_good_bundle(dir, "good.tgz");
    REQUIRE(sh("cd " + dir.path().string() + " && head -c 300 good.tgz > cut.tgz").exit_code == 0);
    auto result = run({dropgate_bin(), "validate", (dir / "cut.tgz").string()});
    REQUIRE(result.exit_code == 1);
    REQUIRE(result.out == "REJECTED truncated: gzip stream ends at byte 300\n");
}

TEST_CASE("validate with several files names each one and fails if any fails", "[validator][cli]") {
    TempDir dir;
    make_good_bundle(dir, "good.tgz");
    write_file(dir / "bundle.zip", "PK\x03\x04 not really");
    write_file(dir / "empty.tgz", "");
    std::string good = (dir / "good.tgz").string(), zip = (dir / "bundle.zip").string(),
                empty = (dir / "empty.tgz").string();
    auto result = run({dropgate_bin(), "validate", good, zip, empty});
    REQUIRE(result.exit_code == 1);
    REQUIRE(result.out == good + ": OK " + validator::sha256_file(good) + " 3 members\n" + zip +
                              ": REJECTED not an accepted bundle name: bundle.zip (accepted: *.tgz, *.tar.gz)\n" +
                              empty + ": REJECTED empty file\n");
    auto both_good = run({dropgate_bin(), "validate", good, good});
    REQUIRE(both_good.exit_code == 0);
}

TEST_CASE("validate -c applies the config's accept patterns and limits", "[validator][cli]") {
    TempDir dir;
    REQUIRE(run({dropgate_bin(), "init", (dir / "demo").string()}).exit_code == 0);
    auto config = dir / "demo" / "dropgate.toml";
    REQUIRE(sh("sed -i -e 's/^accept = .*/accept = [\"*.bundle\"]/' -e "
               "'s/^max_members = .*/max_members = 2/' " +
               config.string())
                .exit_code == 0);
    make_good_bundle(dir, "x.bundle");
    auto result =
        run({dropgate_bin(), "validate", "-c", config.string(), (dir / "x.bundle").string()});
    REQUIRE(result.exit_code == 1);
    REQUIRE(result.out == "REJECTED more than max_members 2 members\n");
    make_good_bundle(dir, "x.tgz");
    auto name = run({dropgate_bin(), "validate", "-c", config.string(), (dir / "x.tgz").string()});
    REQUIRE(name.out == "REJECTED not an accepted bundle name: x.tgz (accepted: *.bundle)\n");
}

TEST_CASE("validate on a missing file is a user error naming the file", "[validator][cli]") {
    TempDir dir;
    auto result = run({dropgate_bin(), "validate", (dir / "nope.tgz").string()});
    REQUIRE(result.exit_code == 1);
    REQUIRE(result.out.empty());
    CHECK_THAT(result.err, Catch::Contains("nope.tgz"));
    auto usage = run({dropgate_bin(), "validate"});
    REQUIRE(usage.exit_code == 1);
}
