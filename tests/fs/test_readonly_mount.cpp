// `dropgate mount --read-only`: the support view of every customer's accepted bundles.
#include <catch2/catch.hpp>
#include <filesystem>

#include "store_fixture.hpp"

using namespace dropgate::test;
namespace stdfs = std::filesystem;

namespace {

// Unmounts the read-only view (and so ends its daemon) when the test ends, even on failure.
struct ReadOnlyMount {
    stdfs::path point;
    ~ReadOnlyMount() {
        if (is_mounted(point)) run({"fusermount3", "-u", "-z", point.string()});
    }
};

}  // namespace

TEST_CASE(
    "the read-only mount lists and reads every customer's bundles and refuses writes with EROFS") {
    StoreUnderTest store;
    store.start();
    auto bundle = store.dir() / "b.tgz";
    make_small_bundle(bundle);
    auto other = store.dir() / "other.tgz";
    write_file(store.dir() / "note.txt", "globex's bundle\n");
    REQUIRE(
        sh("tar -czf '" + other.string() + "' -C '" + store.dir().path().string() + "' note.txt")
            .exit_code == 0);
    REQUIRE(write_through(store.mount() / "acme/b.tgz", bundle) == "open=OK\nclose=0\n");
    REQUIRE(sh("mkdir '" + (store.mount() / "globex/host2").string() + "'").exit_code == 0);
    REQUIRE(write_through(store.mount() / "globex/host2/other.tgz", other) == "open=OK\nclose=0\n");

    CHECK(run({dropgate_bin(), "mount", "-c", store.config_file().string(), "ro"}).exit_code == 1);

    // A relative mountpoint, daemonized: resolved before the daemon changes directory.
    ReadOnlyMount view{store.dir() / "ro"};
    stdfs::create_directories(view.point);
    auto mounted = sh("cd '" + store.dir().path().string() + "' && '" + dropgate_bin() +
                      "' mount -c '" + store.config_file().string() + "' --read-only ro");
    REQUIRE(mounted.exit_code == 0);
    REQUIRE(is_mounted(view.point));

    CHECK(list_dir(view.point) == std::vector<std::string>{"acme", "globex"});
    CHECK(list_dir(view.point / "globex") == std::vector<std::string>{"host2"});
    CHECK(sha256_of(view.point / "acme/b.tgz") == sha256_of(bundle));
    CHECK(sha256_of(view.point / "globex/host2/other.tgz") == sha256_of(other));

    std::string attempts = attempt_each(view.point, R"(
attempt("create", lambda: os.open(p + "/acme/new.tgz", os.O_CREAT | os.O_WRONLY, 0o644))
attempt("write", lambda: os.open(p + "/acme/b.tgz", os.O_WRONLY))
attempt("mkdir", lambda: os.mkdir(p + "/acme/d"))
attempt("unlink", lambda: os.unlink(p + "/acme/b.tgz"))
attempt("rename", lambda: os.rename(p + "/acme/b.tgz", p + "/acme/c.tgz"))
attempt("chmod", lambda: os.chmod(p + "/acme/b.tgz", 0o600))
attempt("setxattr", lambda: os.setxattr(p + "/acme/b.tgz", "user.x", b"1"))
print("sha256", os.getxattr(p + "/acme/b.tgz", "user.dropgate.sha256").decode())
print("members", os.getxattr(p + "/acme/b.tgz", "user.dropgate.members").decode())
print("names", ",".join(sorted(os.listxattr(p + "/globex/host2/other.tgz"))))
)");
    CHECK(attempts ==
          "create=EROFS\nwrite=EROFS\nmkdir=EROFS\nunlink=EROFS\nrename=EROFS\n"
          "chmod=EROFS\nsetxattr=EROFS\nsha256 " +
              sha256_of(bundle) +
              "\nmembers 3\nnames user.dropgate.members,user.dropgate.sha256,"
              "user.dropgate.upload_id,user.dropgate.uploaded_at,"
              "user.dropgate.uploader\n");
    CHECK(run({"fusermount3", "-u", view.point.string()}).exit_code == 0);
}
