// The operator's HTTP endpoint: Prometheus text at /metrics, and /healthz answering 200 only
// while the store, the gateway and (when configured) the HTTPS front end are up (503 with what is
// down otherwise); 200 "degraded: ..." when all run but something needs an operator (the
// backing filesystem short of space, replication failing).
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "dropgate/config/config.hpp"

namespace httplib {
class Server;
}

namespace dropgate::service {

struct Health {
    std::atomic<bool> store_up{false};
    std::atomic<bool> gateway_up{false};
    bool http_configured = false;  // [http]: the HTTPS front end is a part too
    std::atomic<bool> http_up{false};
    bool replicate_configured = false;  // [replicate]: the replication worker is a part too
    std::atomic<bool> replicate_up{false};
};

class HealthServer {
  public:
    // Binds now (throws std::runtime_error naming the endpoint if it cannot), serves in a thread.
    HealthServer(const config::Endpoint& endpoint, const config::Store& store,
                 const Health& health);
    ~HealthServer();
    HealthServer(const HealthServer&) = delete;
    HealthServer& operator=(const HealthServer&) = delete;

  private:
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
};

}  // namespace dropgate::service
