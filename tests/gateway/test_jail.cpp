// The path jail on its own: lexical normalisation of client paths, then resolution with
// openat2(RESOLVE_IN_ROOT) on a real directory tree, where no symlink — absolute, relative,
// full of "..", or a loop — ever leads outside the root.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <string>
#include <system_error>

#include "harness.hpp"
#include "jail.hpp"
#include "sftp_harness.hpp"
#include "sftp_wire.hpp"

using dropgate::UniqueFd;
using dropgate::gateway::Jail;
using dropgate::test::TempDir;
using dropgate::test::write_file;

namespace fs = std::filesystem;

namespace {

// A store with the customer "acme" (the jail's root) beside "other", whose secret must stay
// out of reach, and symlinks of every kind inside acme.
class JailFixture {
  public:
    JailFixture() {
        fs::create_directories(acme() / "sub");
        fs::create_directories(dir_ / "other");
        write_file(dir_ / "other/secret.tgz", "secret");
        write_file(acme() / "file.tgz", "mine");
        write_file(acme() / "sub/inner.tgz", "inner");
        link(dir_ / "other", "abs-other");              // absolute, to outside the root
        link("/", "abs-root");                          // absolute: "/" is the root
        link("/etc/passwd", "abs-etc");                 // absolute, to the host
        link("../other", "rel-up");                     // relative, climbing out
        link("../../../../../../file.tgz", "deep-up");  // more ".." than there are levels
        link("../file.tgz", "sub/up");                  // relative, inside the root
        link("sub/../../other/secret.tgz", "mixed");    // ".." through a real directory
        link("loop-b", "loop-a");
        link("loop-a", "loop-b");
        link("self", "self");
    }
    fs::path acme() const { return dir_ / "acme"; }
    fs::path other() const { return dir_ / "other"; }
    Jail jail() const {
        int fd = ::open(acme().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        return Jail(UniqueFd(fd));
    }

  private:
    void link(const fs::path& target, const std::string& name) {
        fs::create_symlink(target, acme() / name);
    }
    TempDir dir_;
};

std::string contents(const UniqueFd& fd) {
    std::string out;
    char buf[256];
    for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) out.append(buf, std::size_t(n));
    return out;
}

// What reading `path` in the jail gives: its bytes, or "errno N".
std::string read_in(const Jail& jail, const std::string& path) {
    Jail::Opened opened = jail.try_open(Jail::normalize(path), O_RDONLY);
    return opened.fd ? contents(opened.fd) : "errno " + std::to_string(opened.error);
}

}  // namespace

TEST_CASE("jail: client paths are normalised lexically and never climb above /") {
    const std::pair<const char*, const char*> cases[] = {
        {"", "/"},
        {"/", "/"},
        {".", "/"},
        {"..", "/"},
        {"../../etc/passwd", "/etc/passwd"},
        {"/../../../other/secret.tgz", "/other/secret.tgz"},
        {"/a/./b/../c", "/a/c"},
        {"a//c", "/a/c"},
        {"//a///b//", "/a/b"},
        {"/a/b/", "/a/b"},
        {"/a/b/.", "/a/b"},
        {"/a/b/..", "/a"},
        {"a/b/../../..", "/"},
        {"x.tgz", "/x.tgz"},
        {"/a/.../b", "/a/.../b"},  // "..." and "..b" are names, not steps up
        {"/a/..b", "/a/..b"},
        {"./.hidden", "/.hidden"},
    };
    for (auto [in, out] : cases) {
        INFO("normalize(\"" << in << "\")");
        CHECK(Jail::normalize(in) == out);
    }
}

TEST_CASE("jail: a NUL byte never reaches the jail, Reader::path refuses it") {
    // NUL would cut the C string openat2 sees: "/ok.tgz\0/../../x" must not become "/ok.tgz".
    std::string wire = dropgate::test::Packet(0).str(std::string("/ok.tgz\0/../x", 13)).wire();
    dropgate::gateway::sftp::Reader in(reinterpret_cast<const std::uint8_t*>(wire.data()) + 5,
                                       wire.size() - 5);
    CHECK_THROWS_AS(in.path(), dropgate::gateway::sftp::BadMessage);
}

TEST_CASE("jail: plain paths resolve inside the root, .. and // included") {
    JailFixture fx;
    Jail jail = fx.jail();
    CHECK(read_in(jail, "/file.tgz") == "mine");
    CHECK(read_in(jail, "file.tgz") == "mine");
    CHECK(read_in(jail, "//sub//inner.tgz") == "inner");
    CHECK(read_in(jail, "/sub/../file.tgz") == "mine");
    CHECK(read_in(jail, "../../file.tgz") == "mine");
    CHECK(read_in(jail, "/../other/secret.tgz") == "errno " + std::to_string(ENOENT));
    CHECK(read_in(jail, "/missing.tgz") == "errno " + std::to_string(ENOENT));
    Jail::Opened root = jail.try_open(Jail::normalize("/"), O_RDONLY | O_DIRECTORY);
    REQUIRE(root.fd);
    struct stat a {
    }, b{};
    ::fstat(root.fd.get(), &a);
    ::stat(fx.acme().c_str(), &b);
    CHECK(a.st_ino == b.st_ino);  // "/" is the customer's directory
}

TEST_CASE("jail: absolute, relative and ..-laden symlinks resolve inside the root") {
    JailFixture fx;
    Jail jail = fx.jail();
    const std::string enoent = "errno " + std::to_string(ENOENT);
    CHECK(read_in(jail, "/abs-other/secret.tgz") == enoent);  // the host path is not in the root
    CHECK(read_in(jail, "/abs-root/file.tgz") == "mine");     // "/" in a link is the root
    CHECK(read_in(jail, "/abs-etc") == enoent);
    CHECK(read_in(jail, "/rel-up/secret.tgz") == enoent);
    CHECK(read_in(jail, "/deep-up") == "mine");  // clamped at the root, as ".." at "/" is
    CHECK(read_in(jail, "/sub/up") == "mine");
    CHECK(read_in(jail, "/mixed") == enoent);
}

TEST_CASE("jail: a symlink loop fails with ELOOP instead of resolving anywhere") {
    JailFixture fx;
    Jail jail = fx.jail();
    const std::string eloop = "errno " + std::to_string(ELOOP);
    CHECK(read_in(jail, "/loop-a") == eloop);
    CHECK(read_in(jail, "/self") == eloop);
    CHECK(read_in(jail, "/loop-b/x.tgz") == eloop);
}

TEST_CASE("jail: O_NOFOLLOW stops at a symlink as the last component, creation stays inside") {
    JailFixture fx;
    Jail jail = fx.jail();
    Jail::Opened link = jail.try_open("/abs-root", O_PATH | O_NOFOLLOW);
    REQUIRE(link.fd);
    struct stat st {};
    ::fstat(link.fd.get(), &st);
    CHECK(S_ISLNK(st.st_mode));
    CHECK(jail.try_open("/sub/up", O_RDONLY | O_NOFOLLOW).error == ELOOP);
    // Creating through links: never a file outside the root.
    int create = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
    CHECK(jail.try_open("/rel-up/new.tgz", create, 0644).error == ENOENT);
    CHECK(jail.try_open("/abs-other/new.tgz", create, 0644).error == ENOENT);
    CHECK(jail.try_open("/abs-etc", create, 0644).error == EEXIST);  // the link itself is there
    CHECK(jail.try_open("/sub/new.tgz", create, 0644).fd);
    CHECK(fs::exists(fx.acme() / "sub/new.tgz"));
    CHECK_FALSE(fs::exists(fx.other() / "new.tgz"));
}

TEST_CASE("jail: parent() gives the directory and last component without following it") {
    JailFixture fx;
    Jail jail = fx.jail();
    auto p = jail.parent("/sub/up");
    CHECK(p.leaf == "up");
    struct stat st {};
    REQUIRE(::fstatat(p.dir.get(), p.leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0);
    CHECK(S_ISLNK(st.st_mode));
    auto root = jail.parent("/");
    CHECK(root.leaf == ".");
    CHECK(jail.parent("/file.tgz").leaf == "file.tgz");
    // A parent reached through a link that climbs out: not found, with the path and errno.
    try {
        jail.parent("/rel-up/secret.tgz");
        FAIL("parent of /rel-up/secret.tgz resolved");
    } catch (const std::system_error& e) {
        CHECK(e.code().value() == ENOENT);
        CHECK_THAT(e.what(), Catch::StartsWith("/rel-up"));
    }
    CHECK_THROWS_AS(jail.open("/loop-a", O_RDONLY), std::system_error);
}
