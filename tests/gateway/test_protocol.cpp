// The SFTP protocol as clients meet it, packet by packet (paramiko, tests/gateway/sftp_probe.py).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "gateway_fixture.hpp"

using dropgate::test::GatewayFixture;
using dropgate::test::write_file;

TEST_CASE("every SFTP request type answers with the right status and a human message") {
    GatewayFixture gw;
    auto result = gw.probe({"requests"});
    INFO(result.out << result.err << gw.log());
    CHECK(result.exit_code == 0);
}

TEST_CASE("the support role reads every customer and every write is PERMISSION_DENIED") {
    GatewayFixture gw;
    write_file(gw.store() / "other/secret.tgz", "secret bundle");
    auto result = gw.probe({"support"});
    INFO(result.out << result.err << gw.log());
    CHECK(result.exit_code == 0);
}

TEST_CASE("../, absolute paths and symlinks cannot leave the customer's root") {
    GatewayFixture gw;
    write_file(gw.store() / "other/secret.tgz", "secret bundle");
    std::filesystem::create_directory_symlink(gw.store() / "other", gw.store() / "acme/escape-abs");
    std::filesystem::create_directory_symlink("../other", gw.store() / "acme/escape-rel");
    std::filesystem::create_symlink("/etc/passwd", gw.store() / "acme/passwd-link");
    auto result = gw.probe({"traversal"});
    INFO(result.out << result.err << gw.log());
    CHECK(result.exit_code == 0);
}

TEST_CASE("1,000 open handles are bounded cleanly at 256 and the session recovers") {
    GatewayFixture gw;
    auto result = gw.probe({"handles"});
    INFO(result.out << result.err << gw.log());
    CHECK(result.exit_code == 0);
}

TEST_CASE("an oversized or zero-length packet ends only that session, the gateway serves on") {
    GatewayFixture gw;
    auto result = gw.probe({"oversized"});
    INFO(result.out << result.err << gw.log());
    CHECK(result.exit_code == 0);
    CHECK(gw.log().find("exceeds the limit") != std::string::npos);
    CHECK(gw.log().find("session_crashed") == std::string::npos);
}

TEST_CASE("requests before INIT or a second INIT end the session, as OpenSSH's server does") {
    GatewayFixture gw;
    auto result = gw.probe({"init-order"});
    INFO(result.out << result.err << gw.log());
    CHECK(result.exit_code == 0);
    CHECK(gw.log().find("protocol error: request type 17 before INIT") != std::string::npos);
    CHECK(gw.log().find("protocol error: INIT received twice") != std::string::npos);
}
