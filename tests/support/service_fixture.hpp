// A real `dropgate serve` on loopback ports in a temporary directory, with customers "acme" and
// "other" and a support user "help", each with a fresh key pair (and, with the HTTPS front end,
// an API token made by `dropgate token` and a certificate made by `dropgate init`). Stopped (and
// its mount cleaned up) when the object goes away, even if the test failed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "harness.hpp"

namespace dropgate::test {

class Service {
  public:
    struct Options {
        std::string extra_store_config;
        bool http = false;                // also the HTTPS front end, on http_port()
        std::string extra_server_config;  // more [server] keys, e.g. login_grace_time = "3s"
        std::string extra_sections;       // whole sections, e.g. "[replicate]\n..."
    };
    explicit Service(const std::string& extra_store_config = "");
    explicit Service(const Options& options);
    ~Service();

    // Later starts run serve through this command, e.g. {"setpriv", "--no-new-privs", "--"}.
    void launch_through(std::vector<std::string> launcher) { launcher_ = std::move(launcher); }
    // Starts `dropgate serve` and waits for its "service_ready" log line (fails the test if not).
    void start(const std::vector<std::string>& extra_args = {});
    // SIGTERM and wait; returns the exit status.
    int stop(std::chrono::seconds timeout = std::chrono::seconds(60));
    void kill9();
    // Waits for serve to exit by itself; returns its status or -1 on timeout.
    int wait_exit(std::chrono::seconds timeout);
    pid_t pid() const { return pid_; }
    // The pid of a part from the service_ready line ("store_pid" / "gateway_pid").
    pid_t part_pid(const std::string& key) const;

    // `sftp -b -` as `user` with the given batch; returns exit code and output.
    RunResult sftp(const std::string& user, const std::string& batch) const;
    // The same with another key and more ssh options ("-o BindAddress=127.0.0.2").
    RunResult sftp_with(const std::string& user, const std::filesystem::path& key,
                        const std::string& batch, const std::string& options) const;
    RunResult scp_upload(const std::string& user, const std::filesystem::path& file,
                         const std::string& remote) const;
    RunResult query(const std::vector<std::string>& args) const;
    // The value of an unlabelled counter or gauge in /metrics (fails the test if absent).
    std::uint64_t metric(const std::string& name) const;
    std::string log() const;

    const TempDir& dir() const { return dir_; }
    std::filesystem::path config_file() const { return dir_ / "dropgate.toml"; }
    std::filesystem::path root() const { return dir_ / "data"; }
    std::filesystem::path mount() const { return dir_ / "store"; }
    std::filesystem::path key(const std::string& user) const { return dir_ / ("keys/" + user); }
    int ssh_port() const { return ssh_port_; }
    int metrics_port() const { return metrics_port_; }
    int http_port() const { return http_port_; }
    // "https://127.0.0.1:PORT"
    std::string http_url() const { return "https://127.0.0.1:" + std::to_string(http_port_); }
    std::filesystem::path http_cert() const { return dir_ / "init/keys/http_cert.pem"; }
    // The user's API token (made with `dropgate token` when the service was set up).
    std::string token(const std::string& user) const;

  private:
    TempDir dir_;
    std::vector<std::string> launcher_;
    int ssh_port_ = 0;
    int metrics_port_ = 0;
    int http_port_ = 0;
    pid_t pid_ = -1;
};

// Writes a valid bundle of about `bytes` (mixed text and random data) and returns its SHA-256.
std::string make_bundle(const std::filesystem::path& file, std::size_t bytes);
std::string sha256_of(const std::filesystem::path& file);

}  // namespace dropgate::test
