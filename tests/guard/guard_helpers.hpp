// What the ban and limit tests share: clients from a chosen loopback source address, the bans
// as `dropgate query bans --json` shows them, and raw connections held open (connections.py).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "service_fixture.hpp"

namespace dropgate::test {

// OpenSSH sftp `ls` as `user` with `key`, from `source`.
RunResult sftp_from(const Service& service, const std::string& source, const std::string& user,
                    const std::filesystem::path& key);
// The HTTP status of a GET over TLS from `source` with `token` (default: acme's); 0 if the
// server closed the connection without an answer.
int https_status_from(const Service& service, const std::string& source, const std::string& path,
                      const std::string& token = "");
std::vector<nlohmann::json> query_bans(const Service& service, bool all = false);
// Whole seconds from one index timestamp to another.
long seconds_between(const std::string& from, const std::string& to);

// TCP connections to `port` from each of `sources` that send nothing, held open until the
// object goes away.
class HeldConnections {
  public:
    HeldConnections(const Service& service, int port, const std::vector<std::string>& sources);
    ~HeldConnections();
    HeldConnections(const HeldConnections&) = delete;
    HeldConnections& operator=(const HeldConnections&) = delete;
    // For each connection, in order: "held" or "closed" (by the server) after a moment.
    const std::vector<std::string>& states() const { return states_; }
    std::size_t held() const;
    void close();

  private:
    int pid_ = -1;
    std::vector<std::string> states_;
};

}  // namespace dropgate::test
