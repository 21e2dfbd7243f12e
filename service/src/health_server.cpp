#include "health_server.hpp"

#include <httplib.h>

#include <stdexcept>

#include "dropgate/base/metrics.hpp"
#include "dropgate/base/sizes.hpp"
#include "dropgate/contract/space.hpp"
#include "dropgate/replicate/replicate.hpp"
#include "probes.hpp"

namespace dropgate::service {

namespace {

// Up, but something needs an operator: still 200, so uploads keep being routed here.
std::string degradations(const Health& health, const std::filesystem::path& root) {
    std::string found;
    if (auto available = contract::free_space(root);
        available && *available < contract::kSpaceReserve)
        found += "degraded: disk full: " + human_size(*available) + " available on " +
                 root.string() + ", below the " + human_size(contract::kSpaceReserve) +
                 " the store keeps free; uploads are refused (disk full)\n";
    if (!health.replicate_configured) return found;
    auto failing = metrics::value_of(replicate::kReplicationPermanentFailures).value_or(0);
    if (failing == 0) return found;
    return found + "degraded: replication: " + std::to_string(failing) +
           " bundle(s) failing permanently (credentials or bucket?); see the log's "
           "replication_failed events\n";
}

}  // namespace

HealthServer::HealthServer(const config::Endpoint& endpoint, const config::Store& store,
                           const Health& health)
    : server_(std::make_unique<httplib::Server>()) {
    server_->Get("/metrics", [](const httplib::Request&, httplib::Response& response) {
        response.set_content(metrics::render_prometheus(), "text/plain; version=0.0.4");
    });
    server_->Get("/healthz", [&health, mount = store.mount, root = store.root](
                                 const httplib::Request&, httplib::Response& response) {
        std::string problems;
        if (!health.store_up || !store_mounted(mount)) problems += "store down\n";
        if (!health.gateway_up) problems += "gateway down\n";
        if (health.http_configured && !health.http_up) problems += "http down\n";
        if (health.replicate_configured && !health.replicate_up) problems += "replication down\n";
        response.status = problems.empty() ? 200 : 503;
        if (problems.empty()) problems = degradations(health, root);
        response.set_content(problems.empty() ? "ok\n" : problems, "text/plain");
    });
    if (!server_->bind_to_port(endpoint.host, endpoint.port))
        throw std::runtime_error("metrics: cannot listen on " + endpoint.to_string());
    thread_ = std::thread([this] { server_->listen_after_bind(); });
}

HealthServer::~HealthServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
}

}  // namespace dropgate::service
