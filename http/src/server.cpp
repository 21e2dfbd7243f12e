// `dropgate http`: the listening sockets, the accept loops and the event-loop
// threads; each connection is a coroutine (requests.hpp). Blocking work — every call into the
// store mount and the index — runs on the context's file pool, never on an event-loop thread.
#include <signal.h>
#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "dropgate/base/log.hpp"
#include "dropgate/base/metrics.hpp"
#include "dropgate/base/time.hpp"
#include "dropgate/guard/limits.hpp"
#include "dropgate/http/http.hpp"
#include "requests.hpp"
#include "tls_context.hpp"
#include "tls_socket.hpp"

namespace dropgate::http {

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

const metrics::Gauge http_connections("dropgate_http_connections", "Open HTTP connections");

constexpr std::size_t kFileThreads = 32;
constexpr auto kGracePeriod = std::chrono::seconds(30);

struct Server {
    Context& context;
    const config::Http& settings;
    ssl::context* tls;  // null: plain HTTP
    Timeouts timeouts;
    std::atomic<std::int64_t> open{0};
    // TLS connections accepted whose handshake has not ended: MaxStartups counts these
    // (limits.hpp). Counted at accept, before the connection's coroutine first runs.
    std::atomic<std::int64_t> handshaking{0};
    guard::AddressCounts per_address{};
    std::atomic<bool> stopping{false};
    std::vector<std::unique_ptr<asio::io_context>> loops{};  // one per thread
    std::size_t next_loop = 0;                               // the accept loops' (loops[0])
};

std::string remote_of(const tcp::socket& socket) {
    boost::system::error_code error;
    auto endpoint = socket.remote_endpoint(error);
    if (error) return "?";
    auto address = endpoint.address();
    return (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
           std::to_string(endpoint.port());
}

// Uncounts a connection from Server::handshaking once its handshake ended, or it did.
class Handshaking {
  public:
    explicit Handshaking(std::atomic<std::int64_t>& count) : count_(&count) {}
    ~Handshaking() { ended(); }
    Handshaking(const Handshaking&) = delete;
    Handshaking& operator=(const Handshaking&) = delete;
    void ended() {
        if (count_) --*count_;
        count_ = nullptr;
    }

  private:
    std::atomic<std::int64_t>* count_;
};

awaitable<void> serve_socket(Server& server, tcp::socket socket, std::string remote) {
    std::optional<Handshaking> handshaking;
    if (server.tls) handshaking.emplace(server.handshaking);
    socket.set_option(tcp::no_delay(true));
    if (!server.tls) {
        Deadline deadline(socket, server.stopping);
        co_await serve_requests(server.context, socket, deadline, remote, server.timeouts);
        co_return;
    }
    TlsSocket stream(std::move(socket), server.tls->native_handle());
    Deadline tcp(stream.socket(), server.stopping);
    tcp.expires_after(server.timeouts.header);
    const boost::system::error_code handshake = co_await stream.handshake();
    handshaking->ended();
    if (handshake) co_return;  // scanners, plain HTTP to the TLS port, timeouts
    co_await serve_requests(server.context, stream, tcp, remote, server.timeouts);
    stream.shutdown();
}

// Why a new connection is closed at once, if it is: a ban, max_connections, then the per-address
// and MaxStartups limits. A connection let in is counted for its address (closed: uncounted).
std::optional<guard::Refusal> refusal(Server& server, const std::optional<IpAddress>& address) {
    using Kind = guard::Refusal::Kind;
    if (address)
        if (auto until = server.context.bans.banned_until(*address))
            return guard::Refusal{Kind::banned, "banned until " + format_timestamp_seconds(*until)};
    if (server.open.load() >= static_cast<std::int64_t>(server.settings.max_connections))
        return guard::Refusal{Kind::total, "too many connections (max_connections " +
                                               std::to_string(server.settings.max_connections) +
                                               ")"};
    if (!address) return std::nullopt;
    const std::size_t from_address = server.per_address.open(*address);
    const std::size_t startups = static_cast<std::size_t>(
        std::max<std::int64_t>(server.tls ? server.handshaking.load() : 0, 0));
    auto refused =
        guard::connection_refusal(server.context.config.security, *address, from_address, startups);
    if (refused) server.per_address.close(*address);
    return refused;
}

awaitable<void> accept_loop(Server& server, tcp::acceptor& acceptor) {
    for (;;) {
        // Each connection lives on one loop, taken in turn: its coroutine, socket and timer
        // never meet another thread (no strand, no wake-up of another loop).
        asio::io_context& loop = *server.loops[server.next_loop++ % server.loops.size()];
        auto accepted = co_await acceptor.async_accept(loop, asio::as_tuple(asio::use_awaitable));
        if (server.stopping) co_return;
        if (std::get<0>(accepted)) continue;
        tcp::socket socket =
            std::move(std::get<1>(accepted));  // EMFILE and the like: the next accept tries again
        const std::string remote = remote_of(socket);
        const std::optional<IpAddress> address = IpAddress::of_remote(remote);
        if (auto refused = refusal(server, address)) {
            guard::report_refusal(guard::Door::http, *refused, remote);
            continue;  // the socket closes as it goes out of scope, before any TLS
        }
        ++server.open;
        if (server.tls) ++server.handshaking;
        http_connections.add(1);
        auto executor = socket.get_executor();
        asio::co_spawn(executor, serve_socket(server, std::move(socket), remote),
                       [&server, address](std::exception_ptr failure) {
                           --server.open;
                           http_connections.add(-1);
                           if (address) server.per_address.close(*address);
                           if (!failure) return;
                           try {
                               std::rethrow_exception(failure);
                           } catch (const std::exception& e) {
                               log::debug("http_connection_ended", {{"error", e.what()}});
                           }
                       });
    }
}

tcp::acceptor listen_on(asio::io_context& io, const config::Endpoint& endpoint) {
    boost::system::error_code error;
    auto address = asio::ip::make_address(endpoint.host, error);
    if (error) throw std::runtime_error("http.listen: bad address " + endpoint.to_string());
    tcp::acceptor acceptor(io);
    tcp::endpoint where(address, endpoint.port);
    acceptor.open(where.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    if (address.is_v6()) acceptor.set_option(asio::ip::v6_only(true));
    acceptor.bind(where, error);
    if (error)
        throw std::runtime_error("http.listen: cannot listen on " + endpoint.to_string() + ": " +
                                 error.message());
    acceptor.listen(asio::socket_base::max_listen_connections);
    return acceptor;
}

// Every connection is a descriptor: take all the system allows (max_connections is the real
// bound, checked at accept).
void raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// Once stopping, a repeated SIGTERM (an operator's, a supervisor's) must not kill the process
// while it finishes: Asio puts back the default action (terminate) when the set goes away.
void ignore_stop_signals(asio::signal_set& signals) {
    signals.clear();
    ::signal(SIGTERM, SIG_IGN);
    ::signal(SIGINT, SIG_IGN);
}

}  // namespace

int run(const config::Config& config) {
    if (!config.http) throw std::runtime_error("no [http] section in " + config.source.string());
    metrics::init();
    raise_descriptor_limit();
    const config::Http& settings = *config.http;
    std::optional<ssl::context> tls;
    if (!settings.plain) tls.emplace(tls_context(settings));
    Context context(config, kFileThreads);
    Server server{context, settings, tls ? &*tls : nullptr,
                  Timeouts{config.server.login_grace_time, config.server.idle_timeout}};

    // One event loop per core, each run by one thread (no locking inside Asio); accepting,
    // signals and the stop run on the first.
    const unsigned threads = std::max(2u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < threads; ++i)
        server.loops.push_back(std::make_unique<asio::io_context>(1));
    asio::io_context& io = *server.loops.front();
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> busy;
    for (auto& loop : server.loops) busy.push_back(asio::make_work_guard(*loop));
    std::vector<tcp::acceptor> acceptors;
    for (const auto& endpoint : settings.listen) acceptors.push_back(listen_on(io, endpoint));
    for (auto& acceptor : acceptors)
        asio::co_spawn(io, accept_loop(server, acceptor), asio::detached);

    asio::signal_set signals(io, SIGTERM, SIGINT);
    asio::steady_timer drain_timer(io);
    std::function<void()> check_drained;
    signals.async_wait([&](const boost::system::error_code&, int) {
        server.stopping = true;
        for (auto& acceptor : acceptors) acceptor.close();
        log::info("http_stopping", {{"open_connections", server.open.load()}});
        // Running requests finish (each upload gets its verdict); idle connections are closed
        // within a second (Deadline).
        auto deadline = std::chrono::steady_clock::now() + kGracePeriod;
        check_drained = [&, deadline] {
            if (server.open.load() == 0 || std::chrono::steady_clock::now() > deadline) {
                for (auto& loop : server.loops) loop->stop();
                return;
            }
            drain_timer.expires_after(std::chrono::milliseconds(100));
            drain_timer.async_wait([&](const boost::system::error_code&) { check_drained(); });
        };
        check_drained();
    });

    std::string addresses;
    for (const auto& endpoint : settings.listen)
        addresses += (addresses.empty() ? "" : " ") + endpoint.to_string();
    log::info("http_listening", {{"listen", addresses}, {"tls", !settings.plain}});
    std::vector<std::jthread> others;
    for (std::size_t i = 1; i < server.loops.size(); ++i)
        others.emplace_back([loop = server.loops[i].get()] { loop->run(); });
    io.run();
    others.clear();
    ignore_stop_signals(signals);
    context.files.join();
    log::info("http_stopped");
    return 0;
}

}  // namespace dropgate::http
