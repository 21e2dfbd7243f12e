#include "routes.hpp"

#include <array>
#include <optional>

#include "handlers.hpp"
#include "replies.hpp"

namespace dropgate::http {

namespace {

enum class Access {
    anyone,  // the page, logging in
    user,    // any logged-in user: reads (a customer sees only their own)
    writer,  // a customer: uploads; support is read-only (403)
};

using Handler = awaitable<Reply> (*)(Call&);

struct Route {
    Verb method;
    std::string_view path;  // exact, or a prefix when it ends in '/'
    Access access;
    Handler handler;
};

constexpr std::array kRoutes{
    Route{Verb::get, "/", Access::anyone, page},
    Route{Verb::get, "/app.js", Access::anyone, page},
    Route{Verb::get, "/app.css", Access::anyone, page},
    Route{Verb::post, "/login", Access::anyone, login},
    Route{Verb::post, "/logout", Access::anyone, logout},
    Route{Verb::get, "/api/whoami", Access::user, whoami},
    Route{Verb::get, "/api/uploads", Access::user, list_uploads},
    Route{Verb::get, "/api/members", Access::user, find_members},
    Route{Verb::get, "/download/", Access::user, download},
    Route{Verb::put, "/upload/", Access::writer, put_upload},
    Route{Verb::post, "/upload/", Access::writer, post_upload},
    Route{Verb::options, "/files/", Access::anyone, tus_options},
    Route{Verb::post, "/files/", Access::writer, tus_create},
    Route{Verb::head, "/files/", Access::writer, tus_head},
    Route{Verb::patch, "/files/", Access::writer, tus_patch},
    Route{Verb::delete_, "/files/", Access::writer, tus_delete},
};

bool matches(const Route& route, std::string_view path) {
    if (route.path.size() > 1 && route.path.back() == '/')
        return path.starts_with(route.path) || path == route.path.substr(0, route.path.size() - 1);
    return path == route.path;
}

std::string_view rest_of(const Route& route, std::string_view path) {
    if (route.path.size() > 1 && route.path.back() == '/' && path.size() >= route.path.size())
        return path.substr(route.path.size());
    return {};
}

Reply preflight() {
    return Reply{Status::no_content, {}, {}, {}}
        .header("Access-Control-Allow-Methods", "POST, HEAD, PATCH, OPTIONS, GET, DELETE, PUT")
        .header("Access-Control-Allow-Headers",
                "Authorization, Content-Type, Upload-Length, Upload-Offset, Tus-Resumable, "
                "Upload-Metadata, Upload-Defer-Length, Upload-Concat, Upload-Checksum, "
                "X-CSRF-Token, Range, If-Range")
        .header("Access-Control-Max-Age", "86400");
}

bool is_safe(Verb method) {
    return method == Verb::get || method == Verb::head || method == Verb::options;
}

// Everything decided before a handler runs: the route, who asks, and an early answer (bad
// target, preflight, unknown route, no login, no CSRF token, read-only role, tus version).
struct Admission {
    const Route* route = nullptr;
    Principal who;
    std::optional<Target> target;
    std::optional<Reply> early;
};

Admission admit(Context& context, const Exchange& exchange) {
    Admission admission;
    admission.target = parse_target(exchange.target());
    auto answer = [&](Reply reply) {
        admission.early = std::move(reply);
        return std::move(admission);
    };
    if (!admission.target) return answer(text_reply(Status::bad_request, "bad target"));
    const Verb method = exchange.method();
    if (method == Verb::options && exchange.has_header("Access-Control-Request-Method"))
        return answer(preflight());
    bool path_known = false;
    for (const auto& candidate : kRoutes) {
        if (!matches(candidate, admission.target->path)) continue;
        path_known = true;
        if (candidate.method == method) {
            admission.route = &candidate;
            break;
        }
    }
    if (!admission.route)
        return answer(path_known ? text_reply(Status::method_not_allowed, "method not allowed")
                                 : text_reply(Status::not_found, "not found"));
    if (admission.route->access != Access::anyone) {
        admission.who = authenticate(context.config, context.sessions, context.bans, exchange);
        const Principal& who = admission.who;
        if (!who.user)
            return answer(
                text_reply(Status::unauthorized, "log in, or send Authorization: Bearer <token>")
                    .header("WWW-Authenticate", "Bearer realm=\"dropgate\""));
        if (who.by_cookie && !is_safe(method) && exchange.header(kCsrfHeader) != who.csrf)
            return answer(text_reply(Status::forbidden, "missing or wrong X-CSRF-Token"));
        if (admission.route->access == Access::writer && who.user->role == config::Role::support)
            return answer(text_reply(Status::forbidden, "the support role is read-only"));
    }
    if (admission.route->path == "/files/" && method != Verb::options &&
        exchange.header("Tus-Resumable") != kTusVersion)
        return answer(text_reply(Status::precondition_failed,
                                 std::string("Tus-Resumable: ") + kTusVersion + " is required")
                          .header("Tus-Version", kTusVersion));
    return admission;
}

}  // namespace

// (Replies are named before they are awaited: GCC 12 destroys temporaries in a co_await
// expression twice.)
awaitable<void> handle(Context& context, Exchange& exchange) {
    Admission admission = admit(context, exchange);
    Reply reply;
    if (admission.early) {
        reply = std::move(*admission.early);
    } else {
        Call call{context, exchange, admission.who, *admission.target,
                  std::string(rest_of(*admission.route, admission.target->path))};
        reply = co_await admission.route->handler(call);
    }
    if (!exchange.responded()) co_await exchange.respond(reply);
}

}  // namespace dropgate::http
