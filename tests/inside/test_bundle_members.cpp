// `dropgate ls` / `cat` / `reindex` on a real service: every member read through the seek index
// equals what `tar -xzf` extracts, and each accepted bundle gets its index by itself.
#include <catch2/catch.hpp>
#include <thread>

#include "harness.hpp"
#include "service_fixture.hpp"

using namespace dropgate::test;

namespace {

RunResult dg(const Service& service, std::vector<std::string> args) {
    args.insert(args.begin(), {dropgate_bin(), args.front(), "-c", service.config_file().string()});
    args.erase(args.begin() + 4);  // the subcommand, moved in front of -c
    return run(args);
}

// A bundle with text, a 3 MiB random file, a symlink, a hard link and one path twice (appended
// with tar -r: extraction leaves the later one).
void make_tricky_bundle(const TempDir& dir) {
    REQUIRE(sh("cd '" + dir.path().string() +
               "' && mkdir -p t/logs t/bin && seq 1 200000 > t/logs/app.log && "
               "head -c 3145728 /dev/urandom > t/bin/core && echo first > t/twice.txt && "
               "ln -s logs/app.log t/latest && ln t/logs/app.log t/hard.log && "
               "tar -cf b.tar t && echo second > t/twice.txt && tar -rf b.tar t/twice.txt && "
               "gzip -9 b.tar && mv b.tar.gz b.tgz && mkdir x && tar -xzf b.tgz -C x")
                .exit_code == 0);
}

}  // namespace

TEST_CASE("cat reads every member as tar extracts it, ls lists them, the store indexes by itself") {
    Service service;
    service.start();
    TempDir dir;
    make_tricky_bundle(dir);
    const std::string sha = sha256_of(dir / "b.tgz");
    REQUIRE(service.scp_upload("acme", dir / "b.tgz", "b.tgz").exit_code == 0);
    // The store builds the seek index in the background after the verdict.
    // (It waits while the machine is busy, a minute at most: other tests may run beside.)
    REQUIRE(wait_until(
        [&] { return std::filesystem::exists(service.root() / (".seek/" + sha + ".seek")); },
        std::chrono::seconds(120)));

    auto ls = dg(service, {"ls", "acme/b.tgz"});
    REQUIRE(ls.exit_code == 0);
    CHECK_THAT(ls.out, Catch::Contains("t/logs/app.log"));
    CHECK_THAT(ls.out, Catch::Contains("t/latest -> logs/app.log"));
    CHECK_THAT(ls.out, Catch::Contains(" link to "));  // one of the two names is the link
    CHECK(dg(service, {"ls", "acme/b.tgz", "*.log"}).out.find("core") == std::string::npos);

    for (const char* member : {"t/logs/app.log", "t/bin/core", "t/twice.txt", "t/hard.log"}) {
        INFO(member);
        auto cat = dg(service, {"cat", "acme/b.tgz", member});
        REQUIRE(cat.exit_code == 0);
        CHECK(cat.out == read_file(dir / (std::string("x/") + member)));
    }
    auto link = dg(service, {"cat", "acme/b.tgz", "t/latest"});
    CHECK(link.exit_code == 1);
    CHECK_THAT(link.err, Catch::Contains("t/latest is a symlink to logs/app.log"));
    auto missing = dg(service, {"cat", "acme/b.tgz", "t/nope"});
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Catch::Contains("no member t/nope"));
    CHECK(dg(service, {"cat", "acme/b.tgz", "t/logs"}).exit_code == 1);  // a directory

    // reindex gives an index back to a bundle that lost it, and leaves indexed ones alone.
    std::filesystem::remove(service.root() / (".seek/" + sha + ".seek"));
    auto reindex = dg(service, {"reindex"});
    CHECK(reindex.exit_code == 0);
    CHECK_THAT(reindex.out, Catch::Contains("reindex: 1 built, 0 already indexed"));
    CHECK_THAT(dg(service, {"reindex"}).out,
               Catch::Contains("reindex: 0 built, 1 already indexed"));
    CHECK(service.stop() == 0);
}

TEST_CASE("grep finds lines inside the members the index selects, as tar -xzOf | grep does") {
    Service service;
    service.start();
    TempDir dir;
    make_tricky_bundle(dir);
    REQUIRE(service.scp_upload("acme", dir / "b.tgz", "b.tgz").exit_code == 0);
    REQUIRE(service.scp_upload("other", dir / "b.tgz", "copy.tgz").exit_code == 0);
    const std::string tgz = (dir / "b.tgz").string();
    // What `tar -xzOf` of each selected member piped to `grep -n` prints, in archive order (a
    // hard link prints nothing: its file is printed where it is stored).
    auto expected = [&](const std::string& prefix, const std::string& members,
                        const std::string& grep_args) {
        return sh("tar -tzf '" + tgz + "' | grep '" + members +
                  "' | while read -r m; do tar -xzOf '" + tgz + "' \"$m\" | grep -n " + grep_args +
                  " | sed \"s|^|" + prefix + ":$m:|\"; done")
            .out;
    };

    auto fixed = dg(service, {"grep", "99999", "--member", "*.log", "--customer", "acme"});
    CHECK(fixed.exit_code == 0);
    CHECK(fixed.out == expected("acme/b.tgz", "\\.log$", "99999"));
    CHECK(std::count(fixed.out.begin(), fixed.out.end(), '\n') == 2);  // its hard link: not again

    auto regex = dg(service, {"grep", "^1234.$", "--member", "*.log"});
    CHECK(regex.exit_code == 0);
    CHECK(regex.out == expected("acme/b.tgz", "\\.log$", "'^1234.$'") +
                           expected("other/copy.tgz", "\\.log$", "'^1234.$'"));
    CHECK(std::count(regex.out.begin(), regex.out.end(), '\n') == 20);

    // Both members of a path present twice are searched, as tar -xzOf prints both.
    auto twice = dg(service, {"grep", "-i", "SECOND|FIRST", "--member", "*.txt"});
    CHECK(twice.exit_code == 1);  // a basic regex: '|' is a literal
    auto either =
        dg(service, {"grep", "-i", "SECOND\\|FIRST", "--member", "*.txt", "--customer", "acme"});
    CHECK(either.out == "acme/b.tgz:t/twice.txt:1:first\nacme/b.tgz:t/twice.txt:1:second\n");

    auto names = dg(service, {"grep", "-l", "7", "--json"});
    CHECK(names.exit_code == 0);
    CHECK_THAT(names.out, Catch::Contains(
                              R"({"customer":"other","bundle":"copy.tgz","member":"t/bin/core"})"));
    CHECK(dg(service, {"grep", "no such text anywhere"}).exit_code == 1);
    CHECK(dg(service, {"grep", "7", "--customer", "nobody"}).exit_code == 1);
    auto bad = dg(service, {"grep", "a\\{1"});
    CHECK(bad.exit_code == 1);
    CHECK_THAT(bad.err, Catch::Contains("bad pattern"));
    CHECK(service.stop() == 0);
}

TEST_CASE("with seek_index = false the store indexes nothing by itself and a view builds it") {
    Service service("seek_index = false\n");
    service.start();
    TempDir dir;
    make_tricky_bundle(dir);
    const std::string sha = sha256_of(dir / "b.tgz");
    REQUIRE(service.scp_upload("acme", dir / "b.tgz", "b.tgz").exit_code == 0);
    const auto seek = service.root() / (".seek/" + sha + ".seek");
    // With the indexer on, a bundle this small has its index within milliseconds.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    CHECK_FALSE(std::filesystem::exists(seek));
    CHECK(read_file(service.mount() / "acme/b.tgz.d/t/logs/app.log") ==
          read_file(dir / "x/t/logs/app.log"));
    CHECK(std::filesystem::exists(seek));
    CHECK(service.stop() == 0);
}

// One spinning shell per CPU, at normal priority, until destroyed: nothing is idle.
struct BusyCpus {
    BusyCpus() {
        auto started = sh(
            "for i in $(seq $(nproc)); do (while :; do :; done) >/dev/null 2>&1 & echo $!; done");
        REQUIRE(started.exit_code == 0);
        for (char& c : started.out)
            if (c == '\n') c = ' ';
        pids = started.out;
    }
    ~BusyCpus() { sh("kill " + pids + " 2>/dev/null"); }
    std::string pids;
};

TEST_CASE("the store's indexer waits while every CPU is busy and indexes once one is idle") {
    Service service;
    service.start();
    TempDir dir;
    make_tricky_bundle(dir);
    const std::string sha = sha256_of(dir / "b.tgz");
    const auto seek = service.root() / (".seek/" + sha + ".seek");
    {
        BusyCpus busy;
        REQUIRE(service.scp_upload("acme", dir / "b.tgz", "b.tgz").exit_code == 0);
        std::this_thread::sleep_for(std::chrono::seconds(2));
        CHECK_FALSE(std::filesystem::exists(seek));
    }
    CHECK(wait_until([&] { return std::filesystem::exists(seek); }, std::chrono::seconds(120)));
    CHECK(service.stop() == 0);
}
