// A real `dropgate store` (the binary under test) on a mount in a fresh temporary directory,
// with customers "acme" and "globex" and a support user. The process is stopped and the mount
// removed (fusermount3 -u) when the object goes away, even if the test failed.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "harness.hpp"

namespace dropgate::test {

class StoreUnderTest {
  public:
    // `extra_store_config`: more lines for the [store] table (e.g. max_bundle_size = "1MiB").
    explicit StoreUnderTest(const std::string& extra_store_config = "");
    ~StoreUnderTest();
    StoreUnderTest(const StoreUnderTest&) = delete;
    StoreUnderTest& operator=(const StoreUnderTest&) = delete;

    // Runs `dropgate store -c CONFIG [extra_args]` and waits until it is mounted.
    void start(const std::vector<std::string>& extra_args = {});
    int stop();  // SIGTERM, wait; returns the exit status
    // SIGKILL; the dead mount stays, as after a real crash, unless `unmount`.
    void kill_hard(bool unmount = false);

    std::filesystem::path mount() const { return dir_ / "mnt"; }
    std::filesystem::path root() const { return dir_ / "root"; }
    std::filesystem::path config_file() const { return dir_ / "dropgate.toml"; }
    std::filesystem::path bundles() const { return root() / "bundles"; }
    std::filesystem::path staging() const { return root() / ".staging"; }
    const TempDir& dir() const { return dir_; }
    std::string log() const;

    // One row of the index as "status|reason" (empty if none), newest first.
    std::string row(const std::string& customer, const std::string& path) const;
    std::string sql(const std::string& query) const;

  private:
    TempDir dir_;
    pid_t pid_ = -1;
};

// Runs tests/fs/writer.py; returns its stdout ("open=OK\nclose=EBADMSG\n").
std::string write_through(const std::filesystem::path& dest, const std::filesystem::path& src,
                          const std::vector<std::string>& options = {});
// Runs Python `statements` with `p` = `target` and `attempt(what, fn)`, which prints
// "what=OK" or "what=<errno name>" per operation tried; returns what they printed.
std::string attempt_each(const std::filesystem::path& target, const std::string& statements);
// A small valid .tgz (a few text members) at `file`.
void make_small_bundle(const std::filesystem::path& file);
// A ~100 MiB valid bundle, generated once per machine and reused.
std::filesystem::path big_bundle();
std::string sha256_of(const std::filesystem::path& file);
bool is_mounted(const std::filesystem::path& mountpoint);
// Names in a directory (sorted), or an empty list if it cannot be read.
// Sorted entry names, without the `<bundle>.d/` view beside each bundle listed.
std::vector<std::string> list_dir(const std::filesystem::path& dir);

}  // namespace dropgate::test
