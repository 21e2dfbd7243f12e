// `dropgate query`: the index queries with their filters, through the API and the real binary.
#include <fnmatch.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "dropgate/index/index.hpp"
#include "index_fixture.hpp"

using namespace dropgate;
using namespace dropgate::test;
using index::Index;
using index::UploadState;
using namespace std::chrono;

namespace {

// acme: old accepted bundle (10 days ago) + rejected attempt 1 h ago;
// globex: accepted bundle 2 h ago + aborted attempt 30 min ago.
struct QueryFixture {
    TempDir dir;
    std::filesystem::path config = write_config(dir);
    std::filesystem::path db = dir / "data/index.sqlite3";
    system_clock::time_point now = system_clock::now();
    std::vector<std::string> all_paths;

    QueryFixture() {
        auto index = Index::open(db);
        index::MemberSpool acme(dir.path()), globex(dir.path());
        std::uint64_t offset = 0;
        for (const char* host : {"web-1", "web-2", "db-1"})
            for (int n = 0; n < 12; ++n) {
                std::string path =
                    std::string("var/log/app/") + host + "/service-" + std::to_string(n) + ".log";
                acme.add(member(path, 100 + n, offset += 1024));
                all_paths.push_back("acme " + path);
                if (n % 3 == 0) {
                    globex.add(member(path + ".gz", 7, offset += 1024));
                    all_paths.push_back("globex " + path + ".gz");
                }
            }
        for (const char* path : {"etc/hosts", "proc/meminfo", "[weird] name?.txt", "Ab/cd"}) {
            globex.add(member(path, 1, offset += 1024));
            all_paths.push_back(std::string("globex ") + path);
        }
        auto a = upload("u-acme-1", "acme", "host/a.tgz", UploadState::accepted, now - hours(240));
        a.bytes = 5000;
        a.member_count = acme.count();
        index.record(a, &acme);
        auto b = upload("u-acme-2", "acme", "host/b.tgz", UploadState::rejected, now - hours(1));
        b.bytes = 70;
        index.record(b);
        auto c = upload("u-globex-1", "globex", "c.tgz", UploadState::accepted, now - hours(2));
        c.bytes = 3000;
        c.member_count = globex.count();
        index.record(c, &globex);
        auto d = upload("u-globex-2", "globex", "d.tgz", UploadState::aborted, now - minutes(30));
        d.bytes = 10;
        index.record(d);
    }

    RunResult query(std::vector<std::string> args) {
        std::vector<std::string> argv{dropgate_bin(), "query", "-c", config.string()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv);
    }
};

std::vector<std::string> upload_ids(const std::vector<index::UploadRecord>& rows) {
    std::vector<std::string> ids;
    for (const auto& r : rows) ids.push_back(r.upload_id);
    return ids;
}

std::vector<nlohmann::json> json_lines(const std::string& out) {
    std::vector<nlohmann::json> objects;
    for (const auto& line : lines(out)) objects.push_back(nlohmann::json::parse(line));
    return objects;
}

}  // namespace

TEST_CASE_METHOD(QueryFixture,
                 "bundles are listed newest first and filtered by customer, status, since") {
    auto index = Index::open(db, true);
    using V = std::vector<std::string>;
    CHECK(upload_ids(index.uploads()) == V{"u-globex-2", "u-acme-2", "u-globex-1", "u-acme-1"});
    index::UploadFilter f;
    f.customer = "acme";
    CHECK(upload_ids(index.uploads(f)) == V{"u-acme-2", "u-acme-1"});
    f.status = UploadState::accepted;
    CHECK(upload_ids(index.uploads(f)) == V{"u-acme-1"});
    index::UploadFilter recent;
    recent.since = now - hours(3);
    CHECK(upload_ids(index.uploads(recent)) == V{"u-globex-2", "u-acme-2", "u-globex-1"});
    recent.status = UploadState::aborted;
    CHECK(upload_ids(index.uploads(recent)) == V{"u-globex-2"});
}

TEST_CASE_METHOD(QueryFixture,
                 "find matches member paths like GLOB, whatever index the pattern can use") {
    auto index = Index::open(db, true);
    // trigram (literal run >= 3), literal prefix only, and plain scan patterns.
    for (std::string glob : {"*service-1*", "*web-2/service-1?.log", "var/log/*", "*.gz", "v*",
                             "Ab*", "ab*", "*", "?[a-z]/*", "*[[]weird]*", "*name[?].txt", "e?c/*",
                             "*db-1*service-[0-3].log", "nothing*matches"}) {
        INFO(glob);
        std::multiset<std::string> expected, found;
        for (const auto& entry : all_paths) {
            auto space = entry.find(' ');
            if (fnmatch(glob.c_str(), entry.c_str() + space + 1, 0) == 0) expected.insert(entry);
        }
        index.find_members(glob, {}, [&](const index::FoundMember& f) {
            found.insert(f.customer + " " + f.member.path);
        });
        CHECK(found == expected);
    }
    SECTION("filters apply to the bundles the members belong to") {
        index::UploadFilter only_globex;
        only_globex.customer = "globex";
        std::set<std::string> bundles;
        index.find_members("*service-3*", only_globex, [&](const index::FoundMember& f) {
            bundles.insert(f.customer + "/" + f.bundle);
        });
        CHECK(bundles == std::set<std::string>{"globex/c.tgz"});
        index::UploadFilter recent;
        recent.since = now - hours(24);
        std::size_t count = 0;
        index.find_members("*web-1*", recent, [&](const index::FoundMember&) { ++count; });
        CHECK(count == 4);  // globex's .gz copies only; acme's bundle is 10 days old
    }
}

TEST_CASE_METHOD(QueryFixture, "stats counts uploads and sums bytes per customer and status") {
    auto index = Index::open(db, true);
    auto stats = index.stats();
    REQUIRE(stats.size() == 4);
    CHECK(stats[0].customer == "acme");
    CHECK(stats[0].status == UploadState::accepted);
    CHECK(stats[0].bytes == 5000);
    CHECK(stats[0].members == 36);
    CHECK(stats[1].status == UploadState::rejected);
    CHECK(stats[1].bytes == 70);
    CHECK(stats[3].customer == "globex");
    CHECK(stats[3].status == UploadState::aborted);
    index::UploadFilter accepted;
    accepted.status = UploadState::accepted;
    CHECK(index.stats(accepted).size() == 2);
}

TEST_CASE_METHOD(QueryFixture,
                 "query bundles prints an aligned table, and JSON lines with --json") {
    auto table = query({"bundles"});
    REQUIRE(table.exit_code == 0);
    auto rows = lines(table.out);
    REQUIRE(rows.size() == 5);
    CHECK_THAT(rows[0], Catch::StartsWith("FINISHED"));
    // Columns line up: PATH starts at the same offset in every row.
    auto column = rows[0].find("PATH");
    CHECK(rows[1].substr(column, 5) == "d.tgz");
    CHECK(rows[2].substr(column, 10) == "host/b.tgz");
    CHECK_THAT(rows[2], Catch::Contains("gzip CRC mismatch in member 2"));

    auto json = query({"bundles", "--json", "--customer", "acme", "--status", "accepted"});
    REQUIRE(json.exit_code == 0);
    auto objects = json_lines(json.out);
    REQUIRE(objects.size() == 1);
    for (const char* key : {"id", "upload_id", "customer", "path", "remote", "client_version",
                            "started_at", "finished_at", "bytes", "sha256", "status", "reason",
                            "gzip_members", "uncompressed_bytes", "member_count", "missing_since"})
        CHECK(objects[0].contains(key));
    CHECK(objects[0]["path"] == "host/a.tgz");
    CHECK(objects[0]["bytes"] == 5000);
    CHECK(objects[0]["missing_since"].is_null());

    auto recent = query({"bundles", "--since", "3h", "--json"});
    CHECK(json_lines(recent.out).size() == 3);
    auto dated = query({"bundles", "--since", "2000-01-01", "--status", "rejected", "--json"});
    REQUIRE(json_lines(dated.out).size() == 1);
    CHECK(json_lines(dated.out)[0]["reason"] == "gzip CRC mismatch in member 2");
}

TEST_CASE_METHOD(QueryFixture, "query members and find name the bundle and its files") {
    auto members = query({"members", "acme/host/a.tgz"});
    REQUIRE(members.exit_code == 0);
    auto rows = lines(members.out);
    CHECK(rows.size() == 37);
    CHECK_THAT(rows[0], Catch::StartsWith("TYPE") && Catch::EndsWith("PATH"));
    CHECK_THAT(rows[1],
               Catch::Contains("0644") && Catch::EndsWith("var/log/app/web-1/service-0.log"));

    auto by_id = query({"members", "u-globex-1", "--json"});
    REQUIRE(by_id.exit_code == 0);
    auto objects = json_lines(by_id.out);
    REQUIRE(objects.size() == 16);
    CHECK(objects[0]["path"] == "var/log/app/web-1/service-0.log.gz");
    CHECK(objects[0]["type"] == "0");
    CHECK(objects[0]["mode"] == 0644);
    CHECK(objects[0]["data_offset"].get<std::uint64_t>() ==
          objects[0]["header_offset"].get<std::uint64_t>() + 512);

    auto find = query({"find", "*/db-1/service-1?.log*", "--json"});
    REQUIRE(find.exit_code == 0);
    std::set<std::string> found;
    for (const auto& o : json_lines(find.out))
        found.insert(o["customer"].get<std::string>() + "/" + o["bundle"].get<std::string>() + ":" +
                     o["path"].get<std::string>());
    CHECK(found == std::set<std::string>{"acme/host/a.tgz:var/log/app/db-1/service-10.log",
                                         "acme/host/a.tgz:var/log/app/db-1/service-11.log"});
    auto find_table = query({"find", "etc/*", "--customer", "globex"});
    CHECK(lines(find_table.out).size() == 2);
    CHECK_THAT(find_table.out, Catch::Contains("c.tgz") && Catch::Contains("etc/hosts"));

    auto stats = query({"stats", "--json", "--customer", "globex"});
    auto s = json_lines(stats.out);
    REQUIRE(s.size() == 2);
    CHECK(s[0]["status"] == "accepted");
    CHECK(s[0]["uploads"] == 1);
    CHECK(s[0]["bytes"] == 3000);
    CHECK(s[1]["status"] == "aborted");
}

TEST_CASE_METHOD(QueryFixture, "query mistakes are user errors with one clear line") {
    auto bad_since = query({"bundles", "--since", "last tuesday"});
    CHECK(bad_since.exit_code == 1);
    CHECK_THAT(bad_since.err, Catch::Contains("last tuesday"));
    auto bad_status = query({"bundles", "--status", "deleted"});
    CHECK(bad_status.exit_code == 1);
    auto unknown = query({"members", "acme/nope.tgz"});
    CHECK(unknown.exit_code == 1);
    CHECK_THAT(unknown.err, Catch::Contains("no bundle \"acme/nope.tgz\""));
    // A rejected attempt is no bundle.
    CHECK(query({"members", "acme/host/b.tgz"}).exit_code == 1);
    // Asked by upload id, a rejected attempt is listed as having no members, and why.
    auto rejected = query({"members", "u-acme-2"});
    CHECK(rejected.exit_code == 0);
    CHECK(lines(rejected.out).size() == 1);  // the header only
    CHECK_THAT(rejected.err, Catch::Contains("u-acme-2 was rejected (gzip CRC mismatch"));

    std::filesystem::remove(db);
    std::filesystem::remove(db.string() + "-wal");
    std::filesystem::remove(db.string() + "-shm");
    auto missing = query({"stats"});
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Catch::Contains(db.string()) && Catch::Contains("does not exist"));
    CHECK(!std::filesystem::exists(db));  // query never creates the index
}
