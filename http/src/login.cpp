// Browser logins: POST /login with the user's password or one of their tokens (a form or JSON
// body) sets an HttpOnly, Secure, SameSite=Strict session cookie and answers the session's CSRF
// token, which the page sends back in X-CSRF-Token on every unsafe request.
#include "dropgate/base/log.hpp"
#include "handlers.hpp"
#include "replies.hpp"

namespace dropgate::http {

namespace {

constexpr std::size_t kMaxLoginBody = 4096;

std::string cookie(std::string_view value, bool expire) {
    return std::string(kSessionCookie) + "=" + std::string(value) +
           "; Path=/; HttpOnly; Secure; SameSite=Strict" + (expire ? "; Max-Age=0" : "");
}

nlohmann::ordered_json principal_json(const Principal& who) {
    return {{"user", who.user->name},
            {"role", std::string(config::to_string(who.user->role))},
            {"csrf", who.csrf}};
}

}  // namespace

awaitable<Reply> login(Call& call) {
    auto& exchange = call.exchange;
    std::string body;
    char piece[1024];
    while (!exchange.body_done() && body.size() <= kMaxLoginBody) {
        std::size_t n = co_await exchange.read_body(piece, sizeof piece);
        if (n == 0) break;
        body.append(piece, n);
    }
    if (body.size() > kMaxLoginBody)
        co_return text_reply(Status::payload_too_large, "login too long");
    std::string user, secret;
    if (exchange.header("Content-Type").starts_with("application/json")) {
        auto json = nlohmann::json::parse(body, nullptr, false);
        if (json.is_object()) {
            user = json.value("user", "");
            secret = json.value("password", "");
        }
    } else {
        user = query_param(body, "user");
        secret = query_param(body, "password");
    }
    const config::User* who = config::check_token(call.context.config, secret);
    if (who && who->name != user && !user.empty()) who = nullptr;
    if (!who) who = config::check_password(call.context.config, user, secret);
    if (!who) {
        auth_failed(call.context.bans, exchange, user, "password");
        co_return text_reply(Status::unauthorized, "wrong user or password");
    }
    auto session = call.context.sessions.create(*who);
    log::info("http_login", {{"user", who->name}, {"remote", exchange.remote()}});
    Principal principal{who, true, session.csrf};
    co_return json_reply(Status::ok, principal_json(principal))
        .header("Set-Cookie", cookie(session.id, false));
}

awaitable<Reply> logout(Call& call) {
    call.context.sessions.remove(cookie_value(call.exchange.header("Cookie"), kSessionCookie));
    co_return Reply{Status::no_content, {}, {}, {}}.header("Set-Cookie", cookie("", true));
}

awaitable<Reply> whoami(Call& call) {
    co_return json_reply(Status::ok, principal_json(call.who));
}

}  // namespace dropgate::http
