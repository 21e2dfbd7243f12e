// The gateway in front of the real FUSE store (`dropgate serve`): the store's close-time verdict
// reaches the person at the sftp prompt.
#include <catch2/catch.hpp>
#include <filesystem>

#include "gateway_fixture.hpp"

using dropgate::test::GatewayFixture;
using dropgate::test::GatewayOptions;
using dropgate::test::sh;
using dropgate::test::TempDir;
using dropgate::test::write_file;

TEST_CASE("with the real store, a refused bundle's reason from the index is printed by sftp") {
    GatewayOptions options;
    options.with_store = true;
    GatewayFixture gw(options);
    TempDir local;
    write_file(local / "bad.tgz",
               std::string("PK\x03\x04", 4) + " a zip archive, not a gzip stream");
    auto bad = gw.sftp("acme", "put " + (local / "bad.tgz").string() + "\n");
    INFO(bad.out << bad.err << gw.log());
    CHECK(bad.exit_code != 0);
    // The store's reason, looked up in the index by the upload id the gateway tagged.
    CHECK_THAT(bad.err,
               Catch::Contains("dropgate: /bad.tgz refused: not gzip (bad magic 50 4b 03 04"));
    CHECK_FALSE(std::filesystem::exists(gw.store() / "acme/bad.tgz"));

    REQUIRE(sh("mkdir -p " + (local / "d").string() + " && echo hello > " +
               (local / "d/a.txt").string() + " && tar czf " + (local / "good.tgz").string() +
               " -C " + (local / "d").string() + " a.txt")
                .exit_code == 0);
    auto good = gw.sftp("acme", "put " + (local / "good.tgz").string() + "\nls -l\n");
    INFO(good.out << good.err);
    CHECK(good.exit_code == 0);
    CHECK_THAT(good.out, Catch::Contains("good.tgz"));
    CHECK(std::filesystem::exists(gw.store() / "acme/good.tgz"));
}

TEST_CASE("with the real store, renaming a refused temp-name upload answers with its reason") {
    GatewayOptions options;
    options.with_store = true;
    GatewayFixture gw(options);
    TempDir local;
    write_file(local / "bad.tgz",
               std::string("PK\x03\x04", 4) + " a zip archive, not a gzip stream");
    REQUIRE(sh("mkdir -p " + (local / "d").string() + " && echo hello > " +
               (local / "d/a.txt").string() + " && tar czf " + (local / "good.tgz").string() +
               " -C " + (local / "d").string() + " a.txt")
                .exit_code == 0);

    // OpenSSH sftp: the failed put is ignored ("-"), the rename is what fails, with the reason.
    auto sftp = gw.sftp("acme", "-put " + (local / "bad.tgz").string() +
                                    " bad.tgz.filepart\nrename bad.tgz.filepart bad.tgz\n");
    INFO(sftp.out << sftp.err << gw.log());
    CHECK(sftp.exit_code != 0);
    const std::string line = "dropgate: /bad.tgz.filepart refused: not gzip (bad magic 50 4b 03 04";
    auto first = sftp.err.find(line);
    REQUIRE(first != std::string::npos);                         // from the CLOSE
    CHECK(sftp.err.find(line, first + 1) != std::string::npos);  // and again from the RENAME
    CHECK_THAT(sftp.err, !Catch::Contains("No such file"));
    CHECK_FALSE(std::filesystem::exists(gw.store() / "acme/bad.tgz"));
    CHECK_THAT(gw.log(), Catch::Contains("\"event\":\"rename_refused\""));

    // paramiko's SFTPClient, which ignores a failed CLOSE: rename and posix-rename both raise
    // the refusal, not ENOENT; a valid bundle uploaded the same way is published.
    auto probe = gw.probe({"--local", local.path().string(), "rename-refused"});
    INFO(probe.out << probe.err << gw.log());
    CHECK(probe.exit_code == 0);
    CHECK(std::filesystem::exists(gw.store() / "acme/good.tgz"));
}
