// A real `dropgate gateway` on a free loopback port, with a customer "acme" (key + password),
// a second customer "other", and a support user; store.mount is a plain directory.
// The server is stopped (SIGTERM, then SIGKILL) when the fixture goes away, even on failure.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "harness.hpp"

namespace dropgate::test {

struct GatewayOptions {
    std::string max_sessions = "1000";
    std::string max_sessions_per_user = "20";
    std::string idle_timeout = "15m";
    std::string login_grace_time = "30s";
    // Run `dropgate serve` (the real FUSE store mounted at store.mount, plus this gateway)
    // instead of the gateway alone on a plain directory.
    bool with_store = false;
    bool also_ipv6 = false;  // listen on [::1] too, same port
};

class GatewayFixture {
  public:
    explicit GatewayFixture(GatewayOptions options = {});
    ~GatewayFixture();
    GatewayFixture(const GatewayFixture&) = delete;
    GatewayFixture& operator=(const GatewayFixture&) = delete;

    int port() const { return port_; }
    const std::filesystem::path& dir() const { return dir_.path(); }
    std::filesystem::path store() const { return dir_ / "store"; }
    std::filesystem::path key(const std::string& user) const { return dir_ / ("keys/" + user); }
    std::string log() const;  // the gateway's stderr so far
    static constexpr const char* kPassword = "correct horse battery staple";

    // OpenSSH sftp in batch mode as `user`; commands one per line.
    RunResult sftp(const std::string& user, const std::string& batch) const;
    RunResult sftp_to(const std::string& user, const std::string& host,
                      const std::string& batch) const;
    // Any OpenSSH client command with the usual options; `tool` is "ssh", "scp" or "sftp".
    std::vector<std::string> ssh_args(const std::string& tool, const std::string& user) const;
    // The paramiko helper script (tests/gateway/sftp_probe.py) with a subcommand.
    RunResult probe(const std::vector<std::string>& args) const;
    // Sends SIGTERM and returns the exit status (the destructor does nothing more then).
    int stop();
    pid_t pid() const { return pid_; }

  private:
    bool start(const GatewayOptions& options);
    TempDir dir_;
    int port_ = 0;
    pid_t pid_ = -1;
    bool with_store_ = false;
};

}  // namespace dropgate::test
