// Connection limits both doors apply at accept (spec §14): `max_connections_per_address` per
// door, and OpenSSH's MaxStartups random early drop of connections that have not logged in yet
// (SFTP) or not finished their TLS handshake (HTTPS). Allow-listed networks have no per-address
// limit; the door's total (max_sessions, [http] max_connections) is checked by the door.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "dropgate/base/address.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/guard/bans.hpp"

namespace dropgate::guard {

// Why a connection is closed at once. `kind` labels the metric and the log line.
struct Refusal {
    enum class Kind { banned, per_address, startups, total } kind;
    std::string reason;  // "banned until 2026-12-02T18:00:00Z", "too many connections from ..."
};

// Why a new connection is dropped at once, nullopt to let it in: `from_address` connections of
// its address and `unauthenticated` not-yet-logged-in connections are open already.
std::optional<Refusal> connection_refusal(const config::Security& security,
                                          const IpAddress& address, std::size_t from_address,
                                          std::size_t unauthenticated);

// Logs a refused connection ("connection_refused", door, remote, reason) and counts it in
// dropgate_connections_refused_total{door,kind}.
void report_refusal(Door door, const Refusal& refusal, std::string_view remote);

// Open connections per address, for a door that has no table of its own (the HTTP front end).
class AddressCounts {
  public:
    std::size_t open(const IpAddress& address);  // how many were open before this one
    void close(const IpAddress& address);

  private:
    std::mutex mutex_;
    std::map<IpAddress, std::size_t> counts_;
};

}  // namespace dropgate::guard
