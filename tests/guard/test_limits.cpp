// Connection limits, attacked from outside: raw TCP connections that never log in, from many
// loopback source addresses, against the real service's SSH and HTTPS ports.
#include <catch2/catch.hpp>

#include <thread>

#include "guard_helpers.hpp"

using namespace dropgate::test;

namespace {

std::vector<std::string> sources(const std::string& prefix, int first, int count) {
    std::vector<std::string> all;
    for (int i = 0; i < count; ++i) all.push_back(prefix + std::to_string(first + i));
    return all;
}

}  // namespace

TEST_CASE("connections past max_connections_per_address are closed at once at both doors") {
    Service service(Service::Options{
        "", true, "",
        "[security]\nmax_connections_per_address = 3\nmax_startups = \"100:30:200\"\n"});
    service.start();
    const std::vector<std::string> four(4, "127.0.0.9");
    {
        HeldConnections ssh(service, service.ssh_port(), four);
        CHECK(ssh.states() == std::vector<std::string>{"held", "held", "held", "closed"});
        // Another address gets in meanwhile; so does this one at the other door.
        CHECK(sftp_from(service, "127.0.0.10", "acme", service.key("acme")).exit_code == 0);
        CHECK(https_status_from(service, "127.0.0.9", "/api/uploads") == 200);
    }
    {
        HeldConnections https(service, service.http_port(), four);
        CHECK(https.states() == std::vector<std::string>{"held", "held", "held", "closed"});
        CHECK(https_status_from(service, "127.0.0.10", "/api/uploads") == 200);
    }
    CHECK(service.metric(
              "dropgate_connections_refused_total{door=\"sftp\",kind=\"per_address\"}") == 1);
    CHECK(service.metric(
              "dropgate_connections_refused_total{door=\"http\",kind=\"per_address\"}") == 1);
    CHECK_THAT(service.log(), Catch::Contains("too many connections from 127.0.0.9 "
                                              "(max_connections_per_address 3)"));
}

TEST_CASE("connections not logged in past max_startups are dropped at random and all past full") {
    Service service(Service::Options{
        "", true, "", "[security]\nmax_connections_per_address = 0\nmax_startups = \"3:50:6\"\n"});
    service.start();
    for (int port : {service.ssh_port(), service.http_port()}) {
        INFO("port " << port);
        HeldConnections flood(service, port, sources("127.0.1.", 1, 12));
        const auto& states = flood.states();
        // Below start every one is let in; past full none is.
        CHECK(std::vector<std::string>(states.begin(), states.begin() + 3) ==
              std::vector<std::string>(3, "held"));
        CHECK(flood.held() >= 3);
        CHECK(flood.held() <= 6);
        flood.close();
        // Once they are gone a real client logs in again.
        bool in = false;
        for (int i = 0; i < 50 && !in; ++i) {
            in = port == service.ssh_port()
                     ? service.sftp("acme", "ls\n").exit_code == 0
                     : https_status_from(service, "127.0.0.1", "/api/uploads") == 200;
            if (!in) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        CHECK(in);
    }
    CHECK(service.metric("dropgate_connections_refused_total{door=\"sftp\",kind=\"startups\"}") >=
          6);
    CHECK(service.metric("dropgate_connections_refused_total{door=\"http\",kind=\"startups\"}") >=
          6);
}
