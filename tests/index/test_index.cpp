// The index as the store and gateway use it: record, look up, constraints, migrations, spool.
#include <catch2/catch.hpp>

#include "dropgate/index/index.hpp"
#include "dropgate/base/time.hpp"
#include "index_fixture.hpp"

using namespace dropgate;
using namespace dropgate::test;
using index::Index;
using index::UploadState;
using namespace std::chrono;

namespace {
const auto kNow = system_clock::time_point(milliseconds(1'795'000'000'123));  // 2026-11-18
}

TEST_CASE("an accepted upload and its members come back exactly as recorded") {
    TempDir dir;
    auto index = Index::open(dir / "index.sqlite3");
    auto record = upload("u-1", "acme", "host1/logs.tgz", UploadState::accepted, kNow);
    record.gzip_members = 2;
    record.uncompressed_bytes = 123456789012;
    record.member_count = 3;

    index::MemberSpool spool(dir.path());
    auto dir_member = member("var/log/", 0, 0);
    dir_member.type = '5';
    dir_member.mode = 0755;
    auto link = member("var/log/current", 0, 1024);
    link.type = '2';
    link.linkname = "app.log.1";
    link.mtime = -86400;  // before the epoch
    auto file = member("var/log/app.log.1", 5'000'000'000, 2048);
    file.uid = 4'000'000'000;
    for (const auto& m : {dir_member, link, file}) spool.add(m);
    CHECK(spool.count() == 3);

    auto id = index.record(record, &spool);
    CHECK(id > 0);

    auto found = index.find_upload_id("u-1");
    REQUIRE(found);
    CHECK(found->id == id);
    CHECK(found->customer == "acme");
    CHECK(found->path == "host1/logs.tgz");
    CHECK(found->remote == "203.0.113.7:50122");
    CHECK(found->client_version == "SSH-2.0-OpenSSH_9.2p1");
    CHECK(found->started_at == kNow - seconds(3));
    CHECK(found->finished_at == kNow);  // millisecond precision survives
    CHECK(found->status == UploadState::accepted);
    CHECK(found->uncompressed_bytes == 123456789012);
    CHECK(found->gzip_members == 2);
    CHECK(!found->missing_since);
    CHECK(index.find_accepted("acme", "host1/logs.tgz")->upload_id == "u-1");
    CHECK(index.find_bundles("acme/host1/logs.tgz").at(0).id == id);
    CHECK(index.find_bundles("u-1").at(0).id == id);
    CHECK(index.find_bundles("host1/logs.tgz").at(0).id == id);  // unique across customers
    CHECK(index.find_bundles("logs.tgz").empty());
    CHECK(!index.find_accepted("acme", "other.tgz"));
    CHECK(!index.find_upload_id("u-2"));

    std::vector<validator::Member> back;
    index.members(id, [&](const validator::Member& m) { back.push_back(m); });
    REQUIRE(back.size() == 3);
    CHECK(back[0].type == '5');
    CHECK(back[0].mode == 0755);
    CHECK(back[1].linkname == "app.log.1");
    CHECK(back[1].mtime == -86400);
    CHECK(back[2].path == "var/log/app.log.1");
    CHECK(back[2].size == 5'000'000'000);
    CHECK(back[2].uid == 4'000'000'000);
    CHECK(back[2].data_offset == 2048 + 512);
    CHECK(back[2].uname == "app");
}

TEST_CASE("timestamps are stored as sortable UTC text with milliseconds") {
    TempDir dir;
    auto db = dir / "index.sqlite3";
    Index::open(db).record(upload("u-1", "acme", "a.tgz", UploadState::accepted, kNow));
    auto out = run({"sqlite3", db.string(), "SELECT started_at, finished_at FROM uploads"});
    CHECK(out.out == "2026-11-18T11:06:37.123Z|2026-11-18T11:06:40.123Z\n");
    CHECK(parse_timestamp("2026-11-18T11:06:40.123Z") == kNow);
}

TEST_CASE("the since filter accepts ISO dates and times and relative durations") {

    CHECK(parse_since("24h", kNow) == kNow - hours(24));
    CHECK(parse_since("7d", kNow) == kNow - hours(24 * 7));
    CHECK(parse_since("90m", kNow) == kNow - minutes(90));
    CHECK(parse_since("2w", kNow) == kNow - hours(24 * 14));
    CHECK(format_timestamp(parse_since("2026-11-23", kNow)) == "2026-11-23T00:00:00.000Z");
    CHECK(format_timestamp(parse_since("2026-11-23T10:05", kNow)) ==
          "2026-11-23T10:05:00.000Z");
    CHECK(format_timestamp(parse_since("2026-11-23 10:05:07.5Z", kNow)) ==
          "2026-11-23T10:05:07.500Z");
    CHECK_THROWS_WITH(parse_since("yesterday", kNow), Catch::Contains("yesterday"));
    CHECK_THROWS(parse_since("24x", kNow));
    CHECK_THROWS(parse_since("2026-13-01", kNow));
}

TEST_CASE(
    "a second accepted bundle under the same name is refused, while failed attempts may repeat") {
    TempDir dir;
    auto index = Index::open(dir / "index.sqlite3");
    index::MemberSpool spool(dir.path());
    spool.add(member("a.log", 1, 0));
    index.record(upload("u-1", "acme", "logs.tgz", UploadState::accepted, kNow), &spool);

    index.record(upload("u-2", "acme", "logs.tgz", UploadState::rejected, kNow));
    index.record(upload("u-3", "acme", "logs.tgz", UploadState::rejected, kNow));
    index.record(upload("u-4", "acme", "logs.tgz", UploadState::aborted, kNow));
    index.record(upload("u-5", "globex", "logs.tgz", UploadState::accepted, kNow));

    CHECK_THROWS_AS(
        index.record(upload("u-6", "acme", "logs.tgz", UploadState::accepted, kNow), &spool),
        index::DuplicateError);
    CHECK_THROWS_WITH(
        index.record(upload("u-6", "acme", "logs.tgz", UploadState::accepted, kNow), &spool),
        Catch::Contains("acme/logs.tgz") && Catch::Contains("UNIQUE"));
    // The same upload id twice is refused too.
    CHECK_THROWS_AS(index.record(upload("u-2", "acme", "x.tgz", UploadState::rejected, kNow)),
                    index::DuplicateError);
    // Nothing of the refused transaction remains: no row, no members.
    CHECK(!index.find_upload_id("u-6"));
    auto members =
        run({"sqlite3", (dir / "index.sqlite3").string(), "SELECT count(*) FROM members"});
    CHECK(members.out == "1\n");
    CHECK(index.uploads().size() == 5);
}

TEST_CASE("the index runs in WAL mode with foreign keys enforced") {
    TempDir dir;
    auto db = dir / "index.sqlite3";
    auto index = Index::open(db);
    CHECK(run({"sqlite3", db.string(), "PRAGMA journal_mode"}).out == "wal\n");
    CHECK(index.user_version() == index::schema_version());
    // A member row must point at an upload (checked through the CLI with foreign keys on).
    auto orphan =
        run({"sqlite3", db.string(),
             "PRAGMA foreign_keys=ON; INSERT INTO member_paths(path) VALUES('x');"
             "INSERT INTO members(upload_id, path, path_id, type, size, mode, mtime, uid, "
             "gid, header_offset, data_offset) VALUES (999, 'x', 1, '0', 0, 0, 0, 0, 0, 0, 0)"});
    CHECK(orphan.exit_code != 0);
    CHECK_THAT(orphan.err, Catch::Contains("FOREIGN KEY"));
}

TEST_CASE("a version-1 database is migrated on open and keeps its rows") {
    TempDir dir;
    auto db = dir / "index.sqlite3";
    index::migrate(db, 1);
    // Rows written by a dropgate that knew only version 1.
    auto old =
        run({"sqlite3", db.string(),
             "INSERT INTO uploads (upload_id, customer, path, started_at, finished_at, bytes, "
             "sha256, status) VALUES ('u-old', 'acme', 'old.tgz', '2026-01-01T00:00:00.000Z', "
             "'2026-01-01T00:00:01.000Z', 42, 'ab', 'accepted'); PRAGMA user_version"});
    REQUIRE(old.exit_code == 0);
    CHECK(old.out == "1\n");
    CHECK(run({"sqlite3", db.string(),
               "SELECT count(*) FROM pragma_table_info('uploads') "
               "WHERE name = 'missing_since'"})
              .out == "0\n");

    SECTION("read-only opening refuses an old schema with advice") {
        CHECK_THROWS_WITH(Index::open(db, true), Catch::Contains("schema version 1"));
    }
    SECTION("read-write opening migrates to the current version") {
        auto index = Index::open(db);
        CHECK(index.user_version() == index::schema_version());
        CHECK(index::schema_version() >= 2);
        auto row = index.find_upload_id("u-old");
        REQUIRE(row);
        CHECK(row->bytes == 42);
        CHECK(!row->missing_since);
        index.mark_missing(row->id, kNow);
        CHECK(index.find_upload_id("u-old")->missing_since == kNow);
        // The migrated database takes new uploads as usual.
        index.record(upload("u-new", "acme", "new.tgz", UploadState::accepted, kNow));
        CHECK(index.uploads().size() == 2);
        // Opening again is a no-op.
        auto again = Index::open(db);
        CHECK(again.user_version() == index::schema_version());
    }
}

TEST_CASE("read-only opening of a missing database names the file and creates nothing") {
    TempDir dir;
    auto db = dir / "nope.sqlite3";
    CHECK_THROWS_AS(Index::open(db, true), index::MissingDatabaseError);
    CHECK_THROWS_WITH(Index::open(db, true), Catch::Contains(db.string()));
    CHECK(!std::filesystem::exists(db));
}

TEST_CASE("the member spool replays long paths and extreme values in order") {
    TempDir dir;
    index::MemberSpool spool(dir.path());
    std::string long_path(200'000, 'p');  // larger than the spool's 64 KiB buffers
    auto huge = member(long_path, UINT64_MAX, 7);
    huge.mtime = INT64_MIN;
    huge.gid = UINT64_MAX;
    for (int i = 0; i < 1000; ++i) spool.add(member("f" + std::to_string(i), i, i));
    spool.add(huge);
    spool.add(member("last", 1, 1));
    // The spool file is unlinked: nothing visible in the directory.
    CHECK(std::filesystem::is_empty(dir.path()));

    std::vector<validator::Member> back;
    spool.replay([&](const validator::Member& m) { back.push_back(m); });
    REQUIRE(back.size() == 1002);
    CHECK(back[999].path == "f999");
    CHECK(back[1000].path == long_path);
    CHECK(back[1000].size == UINT64_MAX);
    CHECK(back[1000].mtime == INT64_MIN);
    CHECK(back[1000].gid == UINT64_MAX);
    CHECK(back[1001].path == "last");
    // Replaying twice gives the same members.
    std::uint64_t again = 0;
    spool.replay([&](const validator::Member&) { ++again; });
    CHECK(again == 1002);
}

TEST_CASE("a million-member bundle spools to disk and is recorded in one transaction") {
    TempDir dir;
    auto db = dir / "index.sqlite3";
    auto index = Index::open(db);
    index::MemberSpool spool(dir.path());
    constexpr int kMembers = 1'000'000;
    for (int i = 0; i < kMembers; ++i)
        spool.add(member("var/log/app/host-" + std::to_string(i / 1000) + "/service-" +
                             std::to_string(i % 1000) + ".log",
                         static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(i) * 1024));
    auto record = upload("u-big", "acme", "big.tgz", UploadState::accepted, kNow);
    record.member_count = kMembers;
    auto id = index.record(record, &spool);

    CHECK(run({"sqlite3", db.string(), "SELECT count(*) FROM members"}).out == "1000000\n");
    std::uint64_t seen = 0, last_offset = 0;
    bool ordered = true;
    index.members(id, [&](const validator::Member& m) {
        if (seen > 0 && m.header_offset <= last_offset) ordered = false;
        last_offset = m.header_offset;
        ++seen;
    });
    CHECK(seen == kMembers);
    CHECK(ordered);
    std::vector<std::string> found;
    index.find_members("*/host-999/service-998.log", {},
                       [&](const index::FoundMember& f) { found.push_back(f.member.path); });
    CHECK(found == std::vector<std::string>{"var/log/app/host-999/service-998.log"});
}

TEST_CASE("a version-2 database with members migrates to the five upload states intact") {
    TempDir dir;
    auto db = dir / "index.sqlite3";
    index::migrate(db, 2);
    {
        auto v2 = run({"sqlite3", db.string(),
                       "PRAGMA foreign_keys=ON; INSERT INTO uploads (upload_id, customer, path, "
                       "started_at, finished_at, status) VALUES ('u-a', 'acme', 'a.tgz', "
                       "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z', 'accepted'); "
                       "INSERT INTO member_paths (path) VALUES ('etc/hosts'); INSERT INTO members "
                       "(upload_id, path, path_id, type, size, mode, mtime, uid, gid, "
                       "header_offset, data_offset) VALUES (1, 'etc/hosts', 1, '0', 5, 420, 0, 0, "
                       "0, 0, 512); INSERT INTO uploads (upload_id, customer, path, started_at, "
                       "finished_at, status) VALUES ('u-p', 'acme', 'p.tgz', '2026-01-01', "
                       "'2026-01-01', 'partial');"});
        CHECK(v2.exit_code != 0);  // version 2 knows no 'partial'
        CHECK_THAT(v2.err, Catch::Contains("CHECK constraint failed"));
    }
    auto index = Index::open(db);
    CHECK(index.user_version() == index::schema_version());
    auto accepted = index.find_upload_id("u-a");
    REQUIRE(accepted);
    std::vector<std::string> paths;
    index.members(accepted->id, [&](const validator::Member& m) { paths.push_back(m.path); });
    CHECK(paths == std::vector<std::string>{"etc/hosts"});
    CHECK(run({"sqlite3", db.string(), "PRAGMA foreign_key_check; PRAGMA integrity_check"}).out ==
          "ok\n");
    // Now a name can have one partial row (an interrupted upload), which its resumption updates.
    auto partial = upload("u-p1", "acme", "p.tgz", UploadState::partial, kNow);
    partial.bytes = 1000;
    index.record(partial);
    CHECK_THROWS_AS(index.record(upload("u-p2", "acme", "p.tgz", UploadState::partial, kNow)),
                    index::DuplicateError);
    auto done = upload("u-p3", "acme", "p.tgz", UploadState::accepted, kNow);
    index.record(done, nullptr, "u-p1");
    CHECK_FALSE(index.find_upload_id("u-p1"));
    REQUIRE(index.find_upload_id("u-p3"));
    CHECK(index.find_upload_id("u-p3")->status == UploadState::accepted);
    index::UploadFilter partials;
    partials.status = UploadState::partial;
    CHECK(index.uploads(partials).empty());
    CHECK(index.uploads().size() == 2);
}
