// Shared helpers for tests that drive the real `dropgate` binary and real files.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace dropgate::test {

// A fresh directory under /tmp, removed (recursively) when the object goes away.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

struct RunResult {
    int exit_code = -1;  // exit status, or 128+signal
    std::string out;     // stdout
    std::string err;     // stderr
};

// A loopback port nobody listens on right now, never handed out before in this process.
int free_port();
// Runs argv (no shell), feeding `input` on stdin, and waits for it.
RunResult run(const std::vector<std::string>& argv, const std::string& input = {});
// Runs a command line through /bin/sh -c.
RunResult sh(const std::string& command, const std::string& input = {});

// The dropgate binary under test and the tests' source folder (for helper scripts).
std::string dropgate_bin();
std::filesystem::path tests_dir();

void write_file(const std::filesystem::path& file, const std::string& content);
// Makes an ed25519 key pair with OpenSSH's ssh-keygen (no passphrase) at `private_key` and
// `private_key`.pub; returns the public key line without its newline. Throws on failure.
std::string make_key_pair(const std::filesystem::path& private_key,
                          const std::string& comment = "test");
std::string read_file(const std::filesystem::path& file);

// Polls `condition` every 20 ms until it holds (true) or `timeout` passes (false). Every wait in
// a test goes through a deadline like this, so a broken behaviour fails instead of hanging.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Waits up to `timeout` for process `pid` to exit (no /proc entry, or a zombie waiting to be
// reaped); true if it did.
bool wait_for_exit(int pid, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace dropgate::test
