// Resume (spec §4): an upload that ends without its verdict is kept as partial; its owner
// continues it by opening it for writing and writing on at exactly its size, and the verdict is
// the one an unbroken upload gets. Seen from local writers on the real store.
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <future>

#include "dropgate/base/unique_fd.hpp"
#include "dropgate/contract/xattrs.hpp"
#include "store_fixture.hpp"

using namespace dropgate::test;
namespace stdfs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string resume(const StoreUnderTest& store, const std::string& name, const stdfs::path& source,
                   std::vector<std::string> options = {}) {
    options.insert(options.begin(), "--resume");
    return write_through(store.mount() / "acme" / name, source, options);
}

std::uint64_t size_of(const stdfs::path& file) {
    std::error_code ec;
    auto size = stdfs::file_size(file, ec);
    return ec ? 0 : size;
}

}  // namespace

TEST_CASE("an interrupted upload resumed at its size is accepted whole, in the same row") {
    StoreUnderTest store;
    store.start();
    auto big = big_bundle();
    const auto mount_file = store.mount() / "acme/big.tgz";
    REQUIRE(write_through(mount_file, big, {"--kill-after", "40000000"}) == "open=OK\n");
    REQUIRE(store.row("acme", "big.tgz") == "partial|the writer was killed by a signal");
    const std::string partial_id = store.sql("SELECT upload_id FROM uploads");
    CHECK(size_of(mount_file) == 40000000);

    CHECK(resume(store, "big.tgz", big) == "open=OK\nclose=0\n");
    CHECK(store.row("acme", "big.tgz") == "accepted|");
    CHECK(store.sql("SELECT count(*) || '|' || upload_id || '|' || bytes FROM uploads") ==
          "1|" + partial_id + "|" + std::to_string(stdfs::file_size(big)));
    CHECK(sha256_of(store.bundles() / "acme/big.tgz") == sha256_of(big));
    CHECK(store.sql("SELECT sha256 FROM uploads") == sha256_of(big));
    CHECK(list_dir(store.staging()).empty());
}

TEST_CASE("a write at any other offset of a partial fails and leaves the partial as it was") {
    StoreUnderTest store;
    store.start();
    auto big = big_bundle();
    const auto mount_file = store.mount() / "acme/p.tgz";
    REQUIRE(write_through(mount_file, big, {"--kill-after", "3000000"}) == "open=OK\n");
    for (const char* at : {"2999999", "3000001", "0"}) {  // an overlap, a hole, the start
        INFO("resumed at byte " << at);
        CHECK(resume(store, "p.tgz", big, {"--at", at}) == "open=OK\nwrite=EINVAL\nclose=EINVAL\n");
        CHECK(size_of(mount_file) == 3000000);
        CHECK(store.row("acme", "p.tgz") == "partial|resumed at the wrong offset");
    }
    CHECK(resume(store, "p.tgz", big) == "open=OK\nclose=0\n");
    CHECK(sha256_of(store.bundles() / "acme/p.tgz") == sha256_of(big));
}

TEST_CASE("opening a partial with truncation starts over, and a corrupt tail is refused") {
    StoreUnderTest store;
    store.start();
    auto big = big_bundle();
    REQUIRE(write_through(store.mount() / "acme/t.tgz", big, {"--kill-after", "30000000"}) ==
            "open=OK\n");
    CHECK(resume(store, "t.tgz", big, {"--truncate"}) == "open=OK\nclose=0\n");
    CHECK(sha256_of(store.bundles() / "acme/t.tgz") == sha256_of(big));

    // The tail sent after the resumption is not the rest of the bundle: refused at close with
    // the reason, and nothing of it is kept.
    REQUIRE(write_through(store.mount() / "acme/c.tgz", big, {"--kill-after", "30000000"}) ==
            "open=OK\n");
    auto other = store.dir() / "other.tgz";
    std::string bytes = read_file(big);
    for (std::size_t i = 30'000'000; i < 30'000'000 + 65536; ++i) bytes[i] ^= 0x33;
    write_file(other, bytes);
    auto out = resume(store, "c.tgz", other);
    CHECK_THAT(out, Catch::StartsWith("open=OK\n") && Catch::EndsWith("=EBADMSG\n"));
    CHECK_THAT(store.row("acme", "c.tgz"), Catch::StartsWith("rejected|"));
    CHECK_FALSE(stdfs::exists(store.mount() / "acme/c.tgz"));
    CHECK(list_dir(store.staging()).empty());
}

TEST_CASE("a partial not resumed within resume_window is aborted and its data removed") {
    StoreUnderTest store("resume_window = \"2s\"");
    store.start({"--hold-timeout", "2s"});
    auto bundle = store.dir() / "b.tgz";
    make_small_bundle(bundle);
    REQUIRE(write_through(store.mount() / "acme/late.tgz", bundle, {"--kill-after", "100"}) ==
            "open=OK\n");
    CHECK(store.row("acme", "late.tgz") == "partial|the writer was killed by a signal");
    CHECK(wait_until([&] { return store.row("acme", "late.tgz").starts_with("aborted|"); }, 20s));
    CHECK(store.row("acme", "late.tgz") == "aborted|not resumed within resume_window");
    CHECK(list_dir(store.mount() / "acme").empty());
    CHECK(list_dir(store.staging()).empty());
    CHECK_THAT(store.log(), Catch::Contains("\"event\":\"upload_aborted\""));
}

TEST_CASE("partials survive a store restart, clean or kill -9, cut to what was durable") {
    StoreUnderTest store;
    store.start();
    auto big = big_bundle();
    REQUIRE(write_through(store.mount() / "acme/kept.tgz", big, {"--kill-after", "50000000"}) ==
            "open=OK\n");
    REQUIRE(store.stop() == 0);
    auto verify = run({dropgate_bin(), "verify", "-c", store.config_file().string()});
    CHECK(verify.exit_code == 0);
    CHECK_THAT(verify.out, Catch::Contains("1 partial uploads, 0 problems"));
    store.start();
    CHECK(size_of(store.mount() / "acme/kept.tgz") == 50000000);  // suspended: all durable
    CHECK(store.row("acme", "kept.tgz") == "partial|kept across a store restart");

    // A writer paused 66 MiB into the 70 MB bundle while the store is killed: what was
    // fdatasync'ed (every 64 MiB, behind the writer) is kept, the rest is sent again.
    auto fifo = store.dir() / "go";
    REQUIRE(sh("mkfifo '" + fifo.string() + "'").exit_code == 0);
    auto out = store.dir() / "writer.out";
    auto writer = std::async(std::launch::async, [&] {
        return sh("python3 '" + (tests_dir() / "fs/writer.py").string() + "' '" +
                  (store.mount() / "acme/crash.tgz").string() + "' '" + big.string() +
                  "' --pause-after 69206016 < '" + fifo.string() + "' > '" + out.string() + "'");
    });
    dropgate::UniqueFd go;  // closed first on a failure: the writer then goes on and ends
    REQUIRE(wait_until([&] {
        go.reset(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
        return bool(go);
    }));
    REQUIRE(wait_until(
        [&] { return stdfs::exists(out) && read_file(out).find("paused") != std::string::npos; }));
    // The fdatasync of the first 64 MiB runs on its own thread: the kill comes after it.
    REQUIRE(wait_until([&] {
        for (auto& staged : list_dir(store.staging())) {
            char value[32] = {};
            auto n = ::getxattr((store.staging() / staged).c_str(),
                                dropgate::contract::xattr::kDurable, value, sizeof value - 1);
            if (n > 0 && std::string(value) == std::to_string(64u << 20)) return true;
        }
        return false;
    }));
    store.kill_hard();
    REQUIRE(::write(go.get(), "\n", 1) == 1);
    go.reset();
    writer.get();
    store.start();
    CHECK(size_of(store.mount() / "acme/crash.tgz") == 64u << 20);
    CHECK(store.row("acme", "crash.tgz") == "partial|kept across a store restart");

    // Both resume to the bundle the writer meant: whether the store has read a partial's staged
    // bytes back yet (it does, in the background, after a start) or not.
    CHECK(resume(store, "kept.tgz", big) == "open=OK\nclose=0\n");
    CHECK(wait_until([&] { return store.log().find("\"partials\":2") != std::string::npos; }));
    CHECK(resume(store, "crash.tgz", big) == "open=OK\nclose=0\n");
    for (const char* name : {"kept.tgz", "crash.tgz"}) {
        INFO(name);
        CHECK(store.row("acme", name) == "accepted|");
        CHECK(sha256_of(store.bundles() / "acme" / name) == sha256_of(big));
    }
    CHECK(store.sql("SELECT count(*) FROM uploads") == "2");
    CHECK(list_dir(store.staging()).empty());
}

TEST_CASE("a partial is never in the read-only view, and another customer never sees it") {
    StoreUnderTest store;
    store.start();
    auto bundle = store.dir() / "b.tgz";
    make_small_bundle(bundle);
    REQUIRE(write_through(store.mount() / "acme/wip.tgz", bundle, {"--kill-after", "100"}) ==
            "open=OK\n");
    REQUIRE(write_through(store.mount() / "acme/done.tgz", bundle) == "open=OK\nclose=0\n");
    auto view = store.dir() / "view";
    stdfs::create_directories(view);
    REQUIRE(run({dropgate_bin(), "mount", "-c", store.config_file().string(), "--read-only",
                 view.string()})
                .exit_code == 0);
    CHECK(list_dir(view / "acme") == std::vector<std::string>{"done.tgz"});
    run({"fusermount3", "-u", view.string()});
    CHECK(list_dir(store.mount() / "globex").empty());
    CHECK(list_dir(store.mount() / "acme") == std::vector<std::string>{"done.tgz", "wip.tgz"});
}
