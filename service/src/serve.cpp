#include <signal.h>
#include <systemd/sd-daemon.h>

#include <functional>
#include <optional>
#include <thread>

#include "child_process.hpp"
#include "dropgate/base/log.hpp"
#include "dropgate/base/metrics.hpp"
#include "dropgate/service/service.hpp"
#include "health_server.hpp"
#include "probes.hpp"

namespace dropgate::service {

namespace {

using namespace std::chrono_literals;

// Blocks the signals serve handles synchronously; children unblock them before exec.
sigset_t supervised_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    return set;
}

// Waits until `ready()` or the child dies or the timeout passes; SIGTERM/SIGINT abort the wait.
bool wait_until(ChildProcess& child, const sigset_t& signals, std::chrono::seconds timeout,
                const std::function<bool()>& ready, bool& stop_requested) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (ready()) return true;
        if (!child.running()) return false;
        timespec tick{0, 50'000'000};
        int signo = sigtimedwait(&signals, nullptr, &tick);
        if (signo == SIGTERM || signo == SIGINT) {
            stop_requested = true;
            return false;
        }
    }
    return false;
}

int fail_start(ChildProcess& child, const std::string& what) {
    std::string how = child.running() ? "did not become ready in time" : child.how_it_ended();
    log::error("service_start_failed", {{"part", child.name()}, {"problem", what + ": " + how}});
    return 1;
}

}  // namespace

int serve(const config::Config& config, const ServeOptions& options) {
    const sigset_t signals = supervised_signals();
    metrics::init();
    const std::string config_file = options.config_file.string();
    bool stop_requested = false;
    Health health;

    log::info("service_starting", {{"config", config.source.string()}});
    ChildProcess store("store", {"store", "-c", config_file});
    if (!wait_until(
            store, signals, options.start_timeout,
            [&] { return store_mounted(config.store.mount); }, stop_requested)) {
        if (stop_requested) return store.stop(options.grace_period) == 0 ? 0 : 1;
        return fail_start(store, "the store did not mount " + config.store.mount.string());
    }
    health.store_up = true;

    ChildProcess gateway("gateway", {"gateway", "-c", config_file});
    auto listening = [&] { return all_listening(config.server.listen); };
    if (!wait_until(gateway, signals, options.start_timeout, listening, stop_requested)) {
        gateway.stop(options.grace_period);
        store.stop(options.grace_period);
        if (stop_requested) return 0;
        return fail_start(gateway, "the gateway did not listen");
    }
    health.gateway_up = true;

    // The HTTPS front end, when configured: started like the gateway, once the store is up.
    std::optional<ChildProcess> http;
    if (config.http) {
        health.http_configured = true;
        http.emplace("http", std::vector<std::string>{"http", "-c", config_file});
        auto http_listening = [&] { return all_listening(config.http->listen); };
        if (!wait_until(*http, signals, options.start_timeout, http_listening, stop_requested)) {
            http->stop(options.grace_period);
            gateway.stop(options.grace_period);
            store.stop(options.grace_period);
            if (stop_requested) return 0;
            return fail_start(*http, "the HTTPS front end did not listen");
        }
        health.http_up = true;
    }

    // The replication worker, when configured: it needs only the store (it reads the mount).
    std::optional<ChildProcess> replicate;
    if (config.replicate) {
        health.replicate_configured = true;
        replicate.emplace("replicate", std::vector<std::string>{"replicate", "-c", config_file});
        health.replicate_up = true;
    }

    std::optional<HealthServer> health_server;
    if (config.metrics.listen) health_server.emplace(*config.metrics.listen, config.store, health);

    sd_notify(0, "READY=1");
    std::string addresses;
    for (const auto& endpoint : config.server.listen)
        addresses += (addresses.empty() ? "" : " ") + endpoint.to_string();
    nlohmann::ordered_json ready{{"listen", addresses},
                                 {"mount", config.store.mount.string()},
                                 {"store_pid", store.pid()},
                                 {"gateway_pid", gateway.pid()}};
    if (http) ready["http_pid"] = http->pid();
    if (replicate) ready["replicate_pid"] = replicate->pid();
    log::info("service_ready", ready);

    // Supervise: a signal to stop, or one part dying, ends the service.
    ChildProcess* died = nullptr;
    while (!died) {
        timespec tick{1, 0};
        int signo = sigtimedwait(&signals, nullptr, &tick);
        if (signo == SIGTERM || signo == SIGINT) break;
        if (!store.running())
            died = &store;
        else if (!gateway.running())
            died = &gateway;
        else if (http && !http->running())
            died = &*http;
        else if (replicate && !replicate->running())
            died = &*replicate;
        health.store_up = store.running();
        health.gateway_up = gateway.running();
        health.http_up = http && http->running();
        health.replicate_up = replicate && replicate->running();
    }

    sd_notify(0, "STOPPING=1");
    if (died) {
        // The loop's last pass already set the health flags: the dead part reads as down.
        log::error("service_part_died", {{"part", died->name()}, {"how", died->how_it_ended()}});
        if (replicate) replicate->stop(options.grace_period);
        if (http) http->stop(options.grace_period);
        gateway.stop(options.grace_period);
        store.stop(options.grace_period);
        return 1;
    }
    log::info("service_stopping", {{"grace_period_s", options.grace_period.count()}});
    // The gateway stops accepting and lets running transfers finish; only then may the store
    // unmount, so every close still gets its verdict.
    // Both front ends drain at once; each lets its running uploads finish.
    if (http) http->terminate();
    // Replication stops at once: an abandoned transfer is redone from the start next time.
    if (replicate) replicate->stop(options.grace_period);
    health.replicate_up = false;
    int gateway_status = gateway.stop(options.grace_period + 5s);
    health.gateway_up = false;
    int http_status = http ? http->stop(options.grace_period + 5s) : 0;
    health.http_up = false;
    int store_status = store.stop(options.grace_period);
    health.store_up = false;
    nlohmann::ordered_json stopped{{"gateway_status", gateway_status},
                                   {"store_status", store_status}};
    if (http) stopped["http_status"] = http_status;
    log::info("service_stopped", stopped);
    return (gateway_status == 0 && http_status == 0 && store_status == 0) ? 0 : 1;
}

}  // namespace dropgate::service
