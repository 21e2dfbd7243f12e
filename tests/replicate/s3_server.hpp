// A real S3 API server on loopback for the replication tests: @20minutes/s3rver (npm, pinned in
// tests/replicate/js), which verifies SigV4 signatures with the key pair S3RVER / S3RVER.
// Stopped when the object goes away; stop() and start() simulate an outage.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "harness.hpp"

namespace dropgate::test {

class S3Server {
  public:
    static constexpr const char* kBucket = "bundles";
    S3Server();
    ~S3Server();
    void start();  // and wait until it answers
    void stop();
    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
    // The [replicate] section for this server, with credentials in `credentials_file`.
    std::string replicate_section(const std::filesystem::path& credentials_file,
                                  const std::string& extra = "") const;
    // The stored bytes of `key` (s3rver keeps each object as a file), or nullopt.
    std::optional<std::filesystem::path> object_file(const std::string& key) const;
    std::string metadata(const std::string& key) const;  // its metadata JSON
    void delete_object(const std::string& key) const;    // behind dropgate's back

  private:
    TempDir dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

// Writes the credentials file dropgate reads (mode 0600).
void write_credentials(const std::filesystem::path& file, const std::string& secret = "S3RVER");

}  // namespace dropgate::test
