// The path an upload takes into the index: a real .tgz through the streaming validator into a
// MemberSpool, recorded, then seen by `dropgate query` and `dropgate verify` like an operator.
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "dropgate/index/index.hpp"
#include "dropgate/validator/validator.hpp"
#include "index_fixture.hpp"

using namespace dropgate;
using namespace dropgate::test;
namespace fs = std::filesystem;

TEST_CASE("a bundle made by GNU tar is indexed with its real members and verifies clean") {
    TempDir dir;
    auto config = write_config(dir);
    auto root = dir / "data";
    // A small diagnostic collection: a directory, logs, a symlink.
    fs::create_directories(dir / "src/var/log/app");
    write_file(dir / "src/var/log/app/service.log", std::string(5000, 'x') + "\n");
    write_file(dir / "src/var/log/app/dmesg.txt", "boot\n");
    fs::create_symlink("service.log", dir / "src/var/log/app/current");
    fs::create_directories(root / "bundles/acme");
    auto bundle = root / "bundles/acme/diag.tgz";
    auto tar = sh("tar -C '" + (dir / "src").string() + "' -czf '" + bundle.string() + "' var");
    REQUIRE(tar.exit_code == 0);

    index::MemberSpool spool(root);
    auto verdict = validator::validate_file(bundle, validator::Limits{}, &spool);
    REQUIRE(verdict.accepted);
    REQUIRE(spool.count() == verdict.member_count);

    index::UploadRecord r = upload("u-tar", "acme", "diag.tgz", index::UploadState::accepted,
                                     std::chrono::system_clock::now());
    r.bytes = verdict.bytes;
    r.sha256 = verdict.sha256;
    r.gzip_members = verdict.gzip_members;
    r.uncompressed_bytes = verdict.uncompressed_bytes;
    r.member_count = verdict.member_count;
    index::Index::open(root / "index.sqlite3").record(r, &spool);

    auto members =
        run({dropgate_bin(), "query", "-c", config.string(), "members", "acme/diag.tgz", "--json"});
    REQUIRE(members.exit_code == 0);
    std::map<std::string, nlohmann::json> by_path;
    for (const auto& line : lines(members.out)) {
        auto object = nlohmann::json::parse(line);
        by_path[object["path"].get<std::string>()] = object;
    }
    CHECK(by_path.size() == verdict.member_count);
    REQUIRE(by_path.count("var/log/app/service.log"));
    CHECK(by_path["var/log/app/service.log"]["size"] == 5001);
    CHECK(by_path["var/log/app/service.log"]["type"] == "0");
    REQUIRE(by_path.count("var/log/app/current"));
    CHECK(by_path["var/log/app/current"]["type"] == "2");
    CHECK(by_path["var/log/app/current"]["linkname"] == "service.log");

    auto find = run({dropgate_bin(), "query", "-c", config.string(), "find", "*dmesg*"});
    CHECK(find.exit_code == 0);
    CHECK_THAT(find.out, Catch::Contains("diag.tgz") && Catch::Contains("var/log/app/dmesg.txt"));

    auto verify = run({dropgate_bin(), "verify", "-c", config.string()});
    INFO(verify.out << verify.err);
    CHECK(verify.exit_code == 0);
    CHECK_THAT(verify.out,
               Catch::Contains("1 bundles checked, 1 files under bundles/, 0 partial uploads, 0 problems"));
}
