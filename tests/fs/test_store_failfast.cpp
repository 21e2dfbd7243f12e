// Fail fast (spec §4): content known to be bad before its end fails the next write with the
// verdict's errno, the verdict is committed once, and nothing of it ever becomes visible. Only
// what can be known at the end (truncation, a missing end-of-archive marker) waits for close.
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "store_fixture.hpp"

using namespace dropgate::test;
namespace stdfs = std::filesystem;

namespace {

// A bundle of `mib` MiB of incompressible data (so its size is its compressed size).
stdfs::path random_bundle(const TempDir& dir, const std::string& name, int mib) {
    auto made = sh("cd '" + dir.path().string() + "' && head -c " + std::to_string(mib << 20) +
                   " /dev/urandom > core." + name + " && tar -czf '" + name + "' core." + name +
                   " && rm core." + name);
    REQUIRE(made.exit_code == 0);
    return dir / name;
}

// Bytes the store took for the upload (its index row), and its status and reason.
std::uint64_t received(const StoreUnderTest& store, const std::string& path) {
    return std::stoull(store.sql("SELECT bytes FROM uploads WHERE path = '" + path + "'"));
}

}  // namespace

TEST_CASE("content bad from its first bytes fails the write that carries them, not the close") {
    StoreUnderTest store;
    store.start();
    const std::string good = read_file(random_bundle(store.dir(), "good.tgz", 12));
    // Valid gzip of something that is not tar: the tar layer refuses at its first header, once
    // the first 64 KiB piece of deflate data is inflated (log-like text, not a run of one byte,
    // so the compressed stream is megabytes, as a real bundle's is).
    REQUIRE(sh("head -c 9000000 /dev/urandom | base64 | gzip -1 > '" +
               (store.dir() / "notar.tgz").string() + "'")
                .exit_code == 0);
    REQUIRE(stdfs::file_size(store.dir() / "notar.tgz") > (1u << 20));
    std::string reserved = good;
    reserved[3] = char(0xe0);  // reserved gzip header flags
    struct Case {
        std::string name, content, errno_name, reason;
    };
    const std::vector<Case> cases = {
        {"zip.tgz", "PK\x03\x04" + good.substr(4), "EBADMSG", "not gzip (bad magic 50 4b 03 04"},
        {"zeros.tgz", std::string(12 << 20, '\0'), "EBADMSG", "not gzip (bad magic 00 00 00 00)"},
        {"flags.tgz", reserved, "EBADMSG", "gzip header of member 1 has reserved flags set"},
        {"notar.tgz", read_file(store.dir() / "notar.tgz"), "EBADMSG", "not a tar archive"},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        auto file = store.dir() / ("src-" + c.name);
        write_file(file, c.content);
        CHECK(write_through(store.mount() / "acme" / c.name, file, {"--chunk", "65536"}) ==
              "open=OK\nwrite=" + c.errno_name + "\nclose=" + c.errno_name + "\n");
        CHECK_THAT(
            store.row("acme", c.name),
            Catch::StartsWith("rejected|" + c.reason.substr(0, 12)) && Catch::Contains(c.reason));
        CHECK(received(store, c.name) <= (2u << 20));  // of 12 MiB
        CHECK_FALSE(stdfs::exists(store.mount() / "acme" / c.name));
        CHECK_FALSE(stdfs::exists(store.bundles() / "acme" / c.name));
    }
    CHECK(store.sql("SELECT count(*) FROM uploads") == std::to_string(cases.size()));
    CHECK(list_dir(store.staging()).empty());
    CHECK(list_dir(store.mount() / "acme").empty());
}

TEST_CASE("bad content found mid-stream fails a write soon after it, with the specific reason") {
    StoreUnderTest store("max_members = 3");
    store.start();
    // A finished gzip member whose CRC is wrong, then more data.
    auto made = sh("cd '" + store.dir().path().string() +
                   "' && head -c 4000000 /dev/urandom > core.bin && tar -cf - core.bin | gzip -1 "
                   "> m1.gz && head -c 8000000 /dev/urandom | gzip -1 > m2.gz");
    REQUIRE(made.exit_code == 0);
    std::string m1 = read_file(store.dir() / "m1.gz");
    m1[m1.size() - 8] ^= 0x01;
    write_file(store.dir() / "crc.tgz", m1 + read_file(store.dir() / "m2.gz"));
    // Too many members, the fourth one 3 MiB into the archive.
    REQUIRE(sh("cd '" + store.dir().path().string() +
               "' && mkdir many && for i in 1 2 3 4 5; do head -c 3000000 /dev/urandom > "
               "many/f$i; done && tar -czf many.tgz many")
                .exit_code == 0);
    // A member path that escapes, after 3 MiB of honest data (Python writes what tar will not).
    REQUIRE(sh("cd '" + store.dir().path().string() +
               "' && /usr/bin/python3 -c \"import tarfile, io, os\n"
               "t = tarfile.open('escape.tgz', 'w:gz', compresslevel=1)\n"
               "for name, size in (('ok.bin', 3000000), ('../../etc/cron.d/x', 10), ('tail.bin', "
               "6000000)):\n"
               "    i = tarfile.TarInfo(name); i.size = size\n"
               "    t.addfile(i, io.BytesIO(os.urandom(size)))\n"
               "t.close()\"")
                .exit_code == 0);
    struct Case {
        std::string name, errno_name, reason;
    };
    for (const Case& c :
         {Case{"crc.tgz", "EBADMSG", "gzip CRC mismatch in member 1"},
          Case{"many.tgz", "EFBIG", "more than max_members 3 members"},
          Case{"escape.tgz", "EBADMSG", "member path escapes the archive: ../../etc/cron.d/x"}}) {
        INFO(c.name);
        auto file = store.dir() / c.name;
        auto out = write_through(store.mount() / "acme" / c.name, file, {"--chunk", "131072"});
        CHECK(out == "open=OK\nwrite=" + c.errno_name + "\nclose=" + c.errno_name + "\n");
        CHECK(store.row("acme", c.name) == "rejected|" + c.reason);
        const auto size = stdfs::file_size(file);
        CHECK(received(store, c.name) < size - (2u << 20));  // stopped well before the end
        CHECK_FALSE(stdfs::exists(store.bundles() / "acme" / c.name));
    }
    CHECK(list_dir(store.staging()).empty());
}

TEST_CASE("a bundle over max_bundle_size fails the write that crosses the limit, with EFBIG") {
    StoreUnderTest store("max_bundle_size = \"4MiB\"");
    store.start();
    auto big = random_bundle(store.dir(), "big.tgz", 10);
    CHECK(write_through(store.mount() / "acme/big.tgz", big, {"--chunk", "1048576"}) ==
          "open=OK\nwrite=EFBIG\nclose=EFBIG\n");
    CHECK(store.row("acme", "big.tgz") == "rejected|bundle exceeds max_bundle_size 4 MiB");
    CHECK(received(store, "big.tgz") <= (4u << 20));
    // cp reports the write error with the errno's text.
    auto cp = run({"cp", big.string(), (store.mount() / "acme/big2.tgz").string()});
    CHECK(cp.exit_code != 0);
    CHECK_THAT(cp.err, Catch::Contains("error writing") && Catch::Contains("File too large"));
}

TEST_CASE("truncation can only be known at the end: every write succeeds and close refuses") {
    StoreUnderTest store;
    store.start();
    auto bundle = random_bundle(store.dir(), "cut.tgz", 6);
    std::string bytes = read_file(bundle);
    write_file(bundle, bytes.substr(0, bytes.size() / 2));
    CHECK(write_through(store.mount() / "acme/cut.tgz", bundle, {"--chunk", "65536"}) ==
          "open=OK\nclose=EBADMSG\n");
    CHECK_THAT(store.row("acme", "cut.tgz"), Catch::StartsWith("rejected|truncated"));
}

TEST_CASE("stat of a name in a loop while uploads publish under it sees nothing or the bundle") {
    StoreUnderTest store;
    store.start();
    auto bundle = store.dir() / "b.tgz";
    make_small_bundle(bundle);
    const auto size = stdfs::file_size(bundle);
    std::atomic<bool> done{false};
    std::atomic<int> wrong{0}, seen{0};
    std::vector<std::thread> watchers;
    for (int t = 0; t < 3; ++t)
        watchers.emplace_back([&] {
            while (!done) {
                for (int i = 0; i < 20; ++i) {
                    std::error_code ec;
                    auto path = store.mount() / "acme" / ("b" + std::to_string(i) + ".tgz");
                    auto st = stdfs::status(path, ec);
                    if (ec && ec != std::errc::no_such_file_or_directory) ++wrong;
                    if (!ec && stdfs::is_regular_file(st)) {
                        ++seen;
                        if (stdfs::file_size(path, ec) != size && !ec) ++wrong;
                    }
                }
            }
        });
    // Upload-then-rename publishes by renaming the inode's path under the watchers' stats.
    for (int i = 0; i < 20; ++i) {
        auto temp = store.mount() / "acme" / ("b" + std::to_string(i) + ".tgz.part");
        REQUIRE(write_through(temp, bundle) == "open=OK\nclose=0\n");
        stdfs::rename(temp, store.mount() / "acme" / ("b" + std::to_string(i) + ".tgz"));
    }
    done = true;
    for (auto& t : watchers) t.join();
    CHECK(wrong == 0);
    CHECK(seen > 0);
    CHECK(store.sql("SELECT count(*) FROM uploads WHERE status = 'accepted'") == "20");
    CHECK(list_dir(store.mount() / "acme").size() == 20);
}
