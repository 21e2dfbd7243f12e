// Real clients against the real gateway: OpenSSH sftp and scp, sshfs for support, and a
// refusal at CLOSE reaching the user's terminal.
#include <sys/mount.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <thread>

#include "gateway_fixture.hpp"

using dropgate::test::GatewayFixture;
using dropgate::test::GatewayOptions;
using dropgate::test::read_file;
using dropgate::test::run;
using dropgate::test::sh;
using dropgate::test::TempDir;
using dropgate::test::write_file;

namespace {

std::string random_bytes(std::size_t n) {
    std::mt19937_64 rng(42);
    std::string data(n, '\0');
    for (auto& c : data) c = char(rng());
    return data;
}

}  // namespace

TEST_CASE("OpenSSH sftp: put, ls, get, mkdir and upload-then-rename work for a customer") {
    GatewayFixture gw;
    TempDir local;
    const std::string bundle = random_bytes(3 * 1024 * 1024 + 17);
    write_file(local / "logs.tgz", bundle);
    auto result =
        gw.sftp("acme", "put " + (local / "logs.tgz").string() + "\nmkdir host1\nput " +
                            (local / "logs.tgz").string() +
                            " host1/day.tgz.part\nrename host1/day.tgz.part host1/day.tgz\n"
                            "ls -l\nls host1\nget logs.tgz " +
                            (local / "back.tgz").string() + "\n");
    INFO(result.out << result.err << gw.log());
    REQUIRE(result.exit_code == 0);
    CHECK(read_file(gw.store() / "acme/logs.tgz") == bundle);
    CHECK(read_file(gw.store() / "acme/host1/day.tgz") == bundle);
    CHECK_FALSE(std::filesystem::exists(gw.store() / "acme/host1/day.tgz.part"));
    CHECK(read_file(local / "back.tgz") == bundle);
    CHECK_THAT(result.out, Catch::Contains("-rw-r--r--"));
    CHECK_THAT(result.out, Catch::Contains("logs.tgz"));
    CHECK_THAT(result.out, Catch::Contains("day.tgz"));
    CHECK_THAT(gw.log(), Catch::Contains("\"event\":\"upload_closed\""));
}

TEST_CASE(
    "OpenSSH sftp: overwrite, rm, chmod and renaming a bundle are refused, the reason is printed") {
    GatewayFixture gw;
    TempDir local;
    write_file(local / "logs.tgz", "first");
    write_file(gw.store() / "acme/logs.tgz", "published");
    auto overwrite = gw.sftp("acme", "put " + (local / "logs.tgz").string() + "\n");
    CHECK(overwrite.exit_code != 0);
    CHECK_THAT(overwrite.err,
               Catch::Contains("acme/logs.tgz already exists; bundles are immutable"));
    CHECK(read_file(gw.store() / "acme/logs.tgz") == "published");

    for (const char* command : {"rm logs.tgz", "chmod 600 logs.tgz", "rename logs.tgz other.tgz",
                                "rmdir /", "ln -s logs.tgz link.tgz"}) {
        auto refused = gw.sftp("acme", std::string(command) + "\n");
        INFO(command << ": " << refused.err);
        CHECK(refused.exit_code != 0);
        CHECK_THAT(refused.err, Catch::Contains("Permission denied"));
    }
    CHECK(read_file(gw.store() / "acme/logs.tgz") == "published");
    CHECK_FALSE(std::filesystem::exists(gw.store() / "acme/other.tgz"));
}

TEST_CASE(
    "scp (SFTP mode) uploads and downloads a bundle, a name the store does not accept is refused") {
    GatewayFixture gw;
    TempDir local;
    const std::string bundle = random_bytes(600 * 1024);
    write_file(local / "b.tgz", bundle);
    auto args = gw.ssh_args("scp", "acme");
    args.insert(args.end(), {(local / "b.tgz").string(), "acme@127.0.0.1:b.tgz"});
    auto up = run(args);
    INFO(up.err << gw.log());
    REQUIRE(up.exit_code == 0);
    CHECK(read_file(gw.store() / "acme/b.tgz") == bundle);

    args = gw.ssh_args("scp", "acme");
    args.insert(args.end(), {"acme@127.0.0.1:b.tgz", (local / "down.tgz").string()});
    CHECK(run(args).exit_code == 0);
    CHECK(read_file(local / "down.tgz") == bundle);

    args = gw.ssh_args("scp", "acme");
    args.insert(args.end(), {(local / "b.tgz").string(), "acme@127.0.0.1:b.zip"});
    auto bad = run(args);
    CHECK(bad.exit_code != 0);
    CHECK_THAT(bad.err, Catch::Contains("not an accepted bundle name"));
}

TEST_CASE("sshfs with the support role reads every customer's bundles and cannot write") {
    GatewayFixture gw;
    write_file(gw.store() / "acme/a.tgz", "acme bundle");
    write_file(gw.store() / "other/o.tgz", "other bundle");
    std::filesystem::path mnt = gw.dir() / "mnt";
    std::filesystem::create_directory(mnt);
    std::string port = std::to_string(gw.port());
    auto mounted = run({"sshfs", "-p", port, "-o", "IdentityFile=" + gw.key("support").string(),
                        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                        "-o", "BatchMode=yes", "support@127.0.0.1:/", mnt.string()});
    INFO(mounted.err << gw.log());
    REQUIRE(mounted.exit_code == 0);
    struct Unmount {
        std::filesystem::path dir;
        ~Unmount() { run({"fusermount3", "-u", "-z", dir.string()}); }
    } unmount{mnt};
    CHECK(read_file(mnt / "acme/a.tgz") == "acme bundle");
    CHECK(read_file(mnt / "other/o.tgz") == "other bundle");
    auto copy = sh("cp /etc/hostname " + (mnt / "acme/new.tgz").string());
    CHECK(copy.exit_code != 0);
    CHECK_THAT(copy.err, Catch::Contains("Permission denied"));
    CHECK(sh("rm " + (mnt / "acme/a.tgz").string()).exit_code != 0);
    CHECK(sh("mkdir " + (mnt / "acme/dir").string()).exit_code != 0);
    CHECK(std::filesystem::exists(gw.store() / "acme/a.tgz"));
    CHECK_FALSE(std::filesystem::exists(gw.store() / "acme/new.tgz"));
}

// With a plain directory there is no validating store; a full disk is an honest way to make an
// upload fail after its WRITEs were answered: the coalesced write fails, the error is reported
// on the next request for that handle (at the latest CLOSE), and the reason reaches stderr.
TEST_CASE("an upload the store cannot take fails with the reason on the sftp client's stderr") {
    GatewayFixture gw;
    std::filesystem::path acme = gw.store() / "acme";
    REQUIRE(::mount("tmpfs", acme.c_str(), "tmpfs", 0, "size=1m") == 0);
    struct Unmount {
        std::filesystem::path dir;
        ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
    } unmount{acme};
    TempDir local;
    write_file(local / "big.tgz", random_bytes(4 * 1024 * 1024));
    auto result = gw.sftp("acme", "put " + (local / "big.tgz").string() + "\n");
    INFO(result.out << result.err << gw.log());
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.err, Catch::Contains("dropgate: /big.tgz refused: disk full"));
    CHECK_THAT(gw.log(), Catch::Contains("\"event\":\"upload_refused\""));
}

namespace {

std::string xattr(const std::filesystem::path& file, const char* name) {
    char value[256];
    ssize_t n = ::getxattr(file.c_str(), name, value, sizeof value);
    return n < 0 ? std::string() : std::string(value, std::size_t(n));
}

}  // namespace

TEST_CASE(
    "uploads are tagged with upload id, remote and client version, and marked aborted when the "
    "client vanishes") {
    GatewayFixture gw;
    TempDir local;
    write_file(local / "ok.tgz", "complete upload");
    REQUIRE(gw.sftp("acme", "put " + (local / "ok.tgz").string() + "\n").exit_code == 0);
    const auto ok = gw.store() / "acme/ok.tgz";
    // The gateway tags through the store's filesystem; the plain directory standing in for it
    // here must keep user xattrs (tmpfs and ext4 do), or this test checks nothing.
    bool has_xattrs =
        ::getxattr(ok.c_str(), "user.dropgate.upload_id", nullptr, 0) >= 0 || errno != ENOTSUP;
    INFO("the filesystem under " << gw.store() << " has no user xattrs");
    REQUIRE(has_xattrs);
    CHECK(xattr(ok, "user.dropgate.upload_id").size() == 32);
    CHECK_THAT(xattr(ok, "user.dropgate.remote"), Catch::StartsWith("127.0.0.1:"));
    CHECK_THAT(xattr(ok, "user.dropgate.client_version"), Catch::StartsWith("SSH-2.0-OpenSSH"));
    CHECK(xattr(ok, "user.dropgate.aborted").empty());

    auto vanish = gw.probe({"vanish"});
    INFO(vanish.out << vanish.err << gw.log());
    REQUIRE(vanish.exit_code == 0);
    const auto gone = gw.store() / "acme/gone.tgz";
    for (int i = 0; i < 200 && gw.log().find("upload_interrupted") == std::string::npos; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(xattr(gone, "user.dropgate.aborted") == "1");
    CHECK(std::filesystem::file_size(gone) == 7 * 32768);  // every WRITE answered was kept
    CHECK_THAT(gw.log(), Catch::Contains("\"event\":\"upload_interrupted\""));
}

TEST_CASE("the gateway listens on every configured endpoint, IPv4 and IPv6") {
    GatewayOptions options;
    options.also_ipv6 = true;
    GatewayFixture gw(options);
    TempDir local;
    write_file(local / "v6.tgz", "over ipv6");
    auto v6 = gw.sftp_to("acme", "[::1]", "put " + (local / "v6.tgz").string() + "\n");
    INFO(v6.err << gw.log());
    CHECK(v6.exit_code == 0);
    CHECK(read_file(gw.store() / "acme/v6.tgz") == "over ipv6");
    CHECK_THAT(gw.log(), Catch::Contains("\"remote\":\"[::1]:"));
    CHECK(gw.sftp("acme", "ls\n").exit_code == 0);
}
