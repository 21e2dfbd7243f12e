// `dropgate verify [--repair]` through the real binary, on a real store root and index.
#include <catch2/catch.hpp>

#include "dropgate/index/index.hpp"
#include "dropgate/validator/sha256.hpp"
#include "index_fixture.hpp"

using namespace dropgate;
using namespace dropgate::test;
using index::Index;
using index::UploadState;
namespace fs = std::filesystem;

namespace {

// A store with three accepted bundles whose files and rows agree.
struct StoreFixture {
    TempDir dir;
    fs::path config = write_config(dir);
    fs::path root = dir / "data";
    fs::path db = root / "index.sqlite3";

    StoreFixture() {
        fs::create_directories(root / "bundles/acme/host1");
        fs::create_directories(root / ".staging");
        auto index = Index::open(db);
        int n = 0;
        for (const char* name : {"acme/a.tgz", "acme/host1/b.tgz", "acme/c.tgz"}) {
            std::string content(4096 + 100 * n, static_cast<char>('a' + n));
            auto file = root / "bundles" / name;
            write_file(file, content);
            std::string customer(name, 4);
            auto r = upload("u-" + std::to_string(++n), customer, std::string(name + 5),
                            UploadState::accepted, std::chrono::system_clock::now());
            r.bytes = content.size();
            r.sha256 = validator::sha256_file(file);
            index.record(r);
        }
    }

    RunResult verify(bool repair = false) {
        std::vector<std::string> argv{dropgate_bin(), "verify", "-c", config.string()};
        if (repair) argv.push_back("--repair");
        return run(argv);
    }
};

}  // namespace

TEST_CASE_METHOD(StoreFixture, "verify of a consistent store reports no problems and exits 0") {
    auto result = verify();
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out,
               Catch::Contains("3 bundles checked, 3 files under bundles/, 0 partial uploads, 0 problems"));
}

TEST_CASE_METHOD(StoreFixture,
                 "verify finds missing, changed, truncated, orphan and staging files") {
    fs::remove(root / "bundles/acme/a.tgz");
    // Same size, different bytes.
    auto b = root / "bundles/acme/host1/b.tgz";
    std::string content = read_file(b);
    content[100] ^= 1;
    write_file(b, content);
    fs::resize_file(root / "bundles/acme/c.tgz", 1000);
    write_file(root / "bundles/acme/sneaked-in.tgz", "not in the index");
    write_file(root / ".staging/u-crashed", "half an upload");

    auto result = verify();
    INFO(result.out << result.err);
    CHECK(result.exit_code == 1);
    auto out = lines(result.out);
    REQUIRE(out.size() == 6);
    CHECK_THAT(result.out, Catch::Contains("missing          acme/a.tgz: upload u-1"));
    CHECK_THAT(result.out, Catch::Contains("sha256 mismatch  acme/host1/b.tgz: recorded "));
    CHECK_THAT(result.out,
               Catch::Contains("size mismatch    acme/c.tgz: recorded 4296 bytes, file has 1000"));
    CHECK_THAT(result.out, Catch::Contains("orphan           acme/sneaked-in.tgz"));
    CHECK_THAT(result.out, Catch::Contains("staging leftover .staging/u-crashed: 14 bytes"));
    CHECK_THAT(out.back(), Catch::Contains("5 problems, 0 repaired"));
    // Without --repair nothing changes.
    CHECK(fs::exists(root / ".staging/u-crashed"));
    CHECK(!Index::open(db, true).find_upload_id("u-1")->missing_since);
}

TEST_CASE_METHOD(StoreFixture,
                 "verify --repair cleans staging and marks missing rows, never deletes a bundle") {
    fs::remove(root / "bundles/acme/a.tgz");
    auto b = root / "bundles/acme/host1/b.tgz";
    std::string changed = read_file(b);
    changed[0] ^= 1;
    write_file(b, changed);
    write_file(root / "bundles/acme/orphan.tgz", "orphan bytes");
    write_file(root / ".staging/u-crashed", "half an upload");
    write_file(root / ".staging/u-1", "a staging file of a known upload");

    auto repair = verify(true);
    INFO(repair.out << repair.err);
    CHECK(repair.exit_code == 1);  // a missing bundle and a changed one remain problems
    CHECK_THAT(repair.out, Catch::Contains("staging leftover .staging/u-crashed: 14 bytes; "
                                           "recorded aborted; removed"));
    CHECK_THAT(repair.out, Catch::Contains("missing          acme/a.tgz") &&
                               Catch::Contains("; marked missing since "));

    CHECK(fs::is_empty(root / ".staging"));
    // Bundle files are untouched, changed or orphaned as they are.
    CHECK(read_file(b) == changed);
    CHECK(read_file(root / "bundles/acme/orphan.tgz") == "orphan bytes");
    CHECK(fs::exists(root / "bundles/acme/c.tgz"));

    auto index = Index::open(db, true);
    auto leftover = index.find_upload_id("u-crashed");
    REQUIRE(leftover);
    CHECK(leftover->status == UploadState::aborted);
    CHECK(leftover->bytes == 14);
    CHECK_THAT(leftover->reason, Catch::Contains("staging leftover"));
    auto missing = index.find_upload_id("u-1");
    REQUIRE(missing->missing_since);
    CHECK(missing->status == UploadState::accepted);  // still the name's accepted bundle

    // A second run reports the same missing-since time and no staging leftovers.
    auto again = verify(true);
    CHECK_THAT(again.out, Catch::Contains("missing") && !Catch::Contains("staging leftover"));
    CHECK(Index::open(db, true).find_upload_id("u-1")->missing_since == missing->missing_since);

    SECTION("when the file comes back, --repair clears the mark") {
        write_file(root / "bundles/acme/a.tgz", std::string(4096, 'a'));
        write_file(b, std::string(4096 + 100, 'b'));
        fs::remove(root / "bundles/acme/orphan.tgz");
        auto clean = verify(true);
        INFO(clean.out);
        CHECK(clean.exit_code == 0);
        CHECK(!Index::open(db, true).find_upload_id("u-1")->missing_since);
    }
}

TEST_CASE("verify names a missing index database") {
    TempDir dir;
    auto config = write_config(dir);
    auto result = run({dropgate_bin(), "verify", "-c", config.string()});
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Catch::Contains("index.sqlite3") && Catch::Contains("does not exist"));
}
