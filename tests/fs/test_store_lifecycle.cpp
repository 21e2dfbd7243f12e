// Uploads that end without a proper close, a store that crashes, many writers at once, who sees
// an upload in progress, and the extended attributes.
#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>
#include <filesystem>

#include <chrono>
#include <future>
#include <thread>

#include "dropgate/base/unique_fd.hpp"
#include "store_fixture.hpp"

using namespace dropgate::test;
namespace stdfs = std::filesystem;

TEST_CASE("a writer killed with SIGKILL mid-file leaves a partial its owner can see, not read") {
    StoreUnderTest store;
    store.start();
    auto big = big_bundle();
    auto out = write_through(store.mount() / "acme/killed.tgz", big, {"--kill-after", "5000000"});
    CHECK(out == "open=OK\n");
    CHECK(list_dir(store.mount() / "acme") == std::vector<std::string>{"killed.tgz"});
    auto seen = attempt_each(store.mount() / "acme/killed.tgz", R"(
st = os.stat(p)
print("mode", oct(st.st_mode & 0o777), "size", st.st_size)
print("state", os.getxattr(p, "user.dropgate.state").decode())
attempt("read", lambda: os.open(p, os.O_RDONLY))
)");
    CHECK(seen == "mode 0o200 size 5000000\nstate partial\nread=EACCES\n");
    CHECK(list_dir(store.bundles() / "acme").empty());
    CHECK(list_dir(store.staging()).size() == 1);
    CHECK(store.row("acme", "killed.tgz") == "partial|the writer was killed by a signal");
    CHECK(store.sql("SELECT bytes FROM uploads WHERE path = 'killed.tgz'") == "5000000");
}

TEST_CASE(
    "kill -9 of the store mid-upload, before anything was durable: after a restart staging is "
    "clean, the upload aborted, earlier bundles intact") {
    StoreUnderTest store;
    store.start();
    auto bundle = store.dir() / "b.tgz";
    make_small_bundle(bundle);
    REQUIRE(write_through(store.mount() / "acme/first.tgz", bundle) == "open=OK\nclose=0\n");

    // A writer paused halfway through a big upload while the store dies under it.
    auto fifo = store.dir() / "go";
    auto out = store.dir() / "writer.out";
    REQUIRE(sh("mkfifo '" + fifo.string() + "'").exit_code == 0);
    auto writer = std::async(std::launch::async, [&] {
        return sh("python3 '" + (tests_dir() / "fs/writer.py").string() + "' '" +
                  (store.mount() / "acme/interrupted.tgz").string() + "' '" +
                  big_bundle().string() + "' --pause-after 20000000 < '" + fifo.string() + "' > '" +
                  out.string() + "'");
    });
    // The fifo's write end opens once the writer holds its read end; the writer stays paused
    // until we write to it.
    dropgate::UniqueFd release_writer;
    REQUIRE(wait_until([&] {
        release_writer.reset(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
        return bool(release_writer);
    }));
    bool paused = wait_until(
        [&] { return stdfs::exists(out) && read_file(out).find("paused") != std::string::npos; });
    INFO("the writer should pause after 20 MB; it printed: " << read_file(out));
    REQUIRE(paused);
    CHECK(list_dir(store.staging()).size() == 1);
    store.kill_hard();
    REQUIRE(::write(release_writer.get(), "\n", 1) == 1);
    release_writer.reset();
    writer.get();  // its next write fails (the mount is gone) and it exits

    store.start();
    CHECK(list_dir(store.staging()).empty());
    CHECK(list_dir(store.mount() / "acme") == std::vector<std::string>{"first.tgz"});
    CHECK(sha256_of(store.mount() / "acme/first.tgz") == sha256_of(bundle));
    CHECK(store.row("acme", "first.tgz") == "accepted|");
    CHECK_THAT(store.row("acme", "interrupted.tgz"), Catch::StartsWith("aborted|"));
}

TEST_CASE("eight concurrent writers of 100 MiB bundles are all accepted intact") {
    StoreUnderTest store;
    store.start();
    auto big = big_bundle();
    const auto expected = sha256_of(big);
    std::vector<std::future<std::string>> writers;
    for (int i = 0; i < 8; ++i)
        writers.push_back(std::async(std::launch::async, [&, i] {
            auto customer = i % 2 ? "globex" : "acme";
            return write_through(store.mount() / customer / ("big-" + std::to_string(i) + ".tgz"),
                                 big);
        }));
    for (auto& w : writers) CHECK(w.get() == "open=OK\nclose=0\n");
    for (int i = 0; i < 8; ++i) {
        auto rel = std::string(i % 2 ? "globex" : "acme") + "/big-" + std::to_string(i) + ".tgz";
        INFO(rel);
        CHECK(sha256_of(store.bundles() / rel) == expected);
    }
    CHECK(store.sql("SELECT count(*) FROM uploads WHERE status = 'accepted' AND sha256 = '" +
                    expected + "'") == "8");
    CHECK(list_dir(store.staging()).empty());
}

TEST_CASE("an upload in progress is visible to its writer only") {
    StoreUnderTest store;
    store.start();
    auto result = run({"python3", "-c", R"(
import io, os, subprocess, sys, tarfile
path = sys.argv[1]
bundle = io.BytesIO()
with tarfile.open(fileobj=bundle, mode="w:gz") as tar:
    member = tarfile.TarInfo("core")
    member.size = 100000
    tar.addfile(member, io.BytesIO(os.urandom(member.size)))
fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644)
os.write(fd, bundle.getvalue()[:5002])  # a valid start, cut short
print("writer-exists", os.path.exists(path))
print("writer-size", os.stat(path).st_size)
print("writer-lists", os.path.basename(path) in os.listdir(os.path.dirname(path)))
other = subprocess.run(["ls", os.path.dirname(path)], capture_output=True, text=True).stdout.split()
print("other-lists", os.path.basename(path) in other)
print("other-stat", subprocess.run(["stat", path], capture_output=True).returncode == 0)
print("other-read", subprocess.run(["cat", path], capture_output=True).returncode == 0)
os.close(fd) if False else None
)",
                       (store.mount() / "acme/wip.tgz").string()});
    INFO(result.err);
    CHECK(result.out ==
          "writer-exists True\nwriter-size 5002\nwriter-lists True\nother-lists False\n"
          "other-stat False\nother-read False\n");
    // The writer exited without a verdict-worthy close: refused as truncated (it was judged).
    CHECK_FALSE(stdfs::exists(store.mount() / "acme/wip.tgz"));
    CHECK(list_dir(store.staging()).empty());
}

TEST_CASE(
    "xattrs: tags set before close reach the row and a bundle shows sha256, uploaded_at, uploader "
    "and "
    "members") {
    StoreUnderTest store;
    store.start();
    auto bundle = store.dir() / "b.tgz";
    make_small_bundle(bundle);
    auto out = write_through(store.mount() / "acme/tagged.tgz", bundle,
                             {"--xattr", "user.dropgate.upload_id=gw-7f3a", "--xattr",
                              "user.dropgate.remote=203.0.113.7:50122", "--xattr",
                              "user.dropgate.client_version=SSH-2.0-OpenSSH_9.2p1"});
    REQUIRE(out == "open=OK\nclose=0\n");
    CHECK(store.sql("SELECT customer || '|' || path || '|' || remote || '|' || client_version || "
                    "'|' || status "
                    "FROM uploads WHERE upload_id = 'gw-7f3a'") ==
          "acme|tagged.tgz|203.0.113.7:50122|SSH-2.0-OpenSSH_9.2p1|accepted");
    auto attrs = run({"python3", "-c", R"(
import os, sys
p = sys.argv[1]
for k in sorted(os.listxattr(p)):
    print(k, os.getxattr(p, k).decode())
)",
                      (store.mount() / "acme/tagged.tgz").string()});
    CHECK_THAT(attrs.out, Catch::Contains("user.dropgate.sha256 " + sha256_of(bundle)));
    CHECK_THAT(attrs.out, Catch::Contains("user.dropgate.members 3"));
    CHECK_THAT(attrs.out, Catch::Contains("user.dropgate.uploader acme from 203.0.113.7:50122"));
    CHECK_THAT(attrs.out,
               Catch::Matches("(.|\n)*user.dropgate.uploaded_at 20[0-9-]+T[0-9:]+Z(.|\n)*"));

    // A writer (the gateway) marks an upload whose client vanished: kept for resume, not judged.
    auto aborted = write_through(store.mount() / "acme/gone.tgz", bundle,
                                 {"--xattr", "user.dropgate.aborted=1"});
    CHECK(aborted == "open=OK\nclose=ECANCELED\n");
    CHECK_THAT(store.row("acme", "gone.tgz"), Catch::StartsWith("partial|the client went away"));
    CHECK(stdfs::file_size(store.mount() / "acme/gone.tgz") == stdfs::file_size(bundle));
}

TEST_CASE("SIGTERM unmounts the store cleanly and exits 0") {
    StoreUnderTest store;
    store.start();
    CHECK(store.stop() == 0);
    CHECK_FALSE(is_mounted(store.mount()));
}

TEST_CASE("at start-up a bundle without an index row is re-validated from disk and indexed") {
    StoreUnderTest store;
    auto bundle = store.dir() / "b.tgz";
    make_small_bundle(bundle);
    // What a crash between the publishing rename and the index commit leaves behind.
    stdfs::create_directories(store.bundles() / "acme");
    stdfs::copy_file(bundle, store.bundles() / "acme/orphan.tgz");
    write_file(store.bundles() / "acme/broken.tgz", "not a bundle at all");
    store.start();
    CHECK(store.sql("SELECT status || '|' || remote FROM uploads WHERE path = 'orphan.tgz'") ==
          "accepted|recovered at start-up");
    CHECK(store.sql("SELECT sha256 FROM uploads WHERE path = 'orphan.tgz'") == sha256_of(bundle));
    CHECK(store.row("acme", "broken.tgz") == "");  // reported, never deleted
    CHECK(stdfs::exists(store.bundles() / "acme/broken.tgz"));
    CHECK_THAT(store.log(), Catch::Contains("bundle_invalid") && Catch::Contains("broken.tgz"));
    auto attrs =
        run({"python3", "-c",
             "import os,sys; print(os.getxattr(sys.argv[1], 'user.dropgate.sha256').decode())",
             (store.mount() / "acme/orphan.tgz").string()});
    CHECK(attrs.out == sha256_of(bundle) + "\n");
}

TEST_CASE("a held temp-suffix upload that is never renamed is discarded as aborted") {
    StoreUnderTest store;
    store.start({"--hold-timeout", "1s"});
    auto bundle = store.dir() / "b.tgz";
    make_small_bundle(bundle);
    REQUIRE(write_through(store.mount() / "acme/b.tgz.filepart", bundle) == "open=OK\nclose=0\n");
    // The reaper runs every 1 s here; wait (generously) for the row rather than for a time.
    for (int i = 0; i < 600 && store.row("acme", "b.tgz.filepart").empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK_THAT(store.row("acme", "b.tgz.filepart"),
               Catch::StartsWith("aborted|") && Catch::Contains("not renamed"));
    CHECK(list_dir(store.mount() / "acme").empty());
    CHECK(list_dir(store.staging()).empty());
}
