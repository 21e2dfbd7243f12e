#include "health_server.hpp"

#include <httplib.h>

#include <stdexcept>

#include "dropgate/base/metrics.hpp"
#include "probes.hpp"

namespace dropgate::service {

HealthServer::HealthServer(const config::Endpoint& endpoint, const std::filesystem::path& mount,
                           const Health& health)
    : server_(std::make_unique<httplib::Server>()) {
    server_->Get("/metrics", [](const httplib::Request&, httplib::Response& response) {
        response.set_content(metrics::render_prometheus(), "text/plain; version=0.0.4");
    });
    server_->Get("/healthz",
                 [&health, mount](const httplib::Request&, httplib::Response& response) {
                     std::string problems;
                     if (!health.store_up || !store_mounted(mount)) problems += "store down\n";
                     if (!health.gateway_up) problems += "gateway down\n";
                     if (health.http_configured && !health.http_up) problems += "http down\n";
                     response.status = problems.empty() ? 200 : 503;
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
