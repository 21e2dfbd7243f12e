// PUT /upload/<path>: one request, the body streamed into the store; 201 with the bundle's
// facts, or the store's refusal as its status and reason. A refusal known early (fail fast)
// answers before the body has all arrived and closes the connection.
#include <optional>

#include "body_pump.hpp"
#include "dropgate/base/ids.hpp"
#include "dropgate/base/log.hpp"
#include "handlers.hpp"
#include "replies.hpp"

namespace dropgate::http {

namespace {

nlohmann::ordered_json facts_json(const std::string& customer, const BundleFacts& facts) {
    return {{"customer", customer},
            {"path", facts.path},
            {"bytes", facts.bytes},
            {"sha256", facts.sha256},
            {"members", facts.members}};
}

}  // namespace

awaitable<Reply> put_upload(Call& call) {
    Context& context = call.context;
    Exchange& exchange = call.exchange;
    auto path = relative_path(call.rest);
    if (!path) {
        co_return text_reply(Status::bad_request, "bad path");
    }
    const std::string customer = call.who.user->name;
    if (auto length = exchange.content_length();
        length && *length > context.config.store.max_bundle_size) {
        co_return refusal_reply(
            {EFBIG, contract::bundle_too_large(context.config.store.max_bundle_size)});
    }
    StoreUpload::Tags tags{new_upload_id(), exchange.remote(),
                           std::string(exchange.header("User-Agent"))};
    // Each step records its outcome; the reply is made once, after them.
    std::optional<StoreUpload> upload;
    std::optional<BundleFacts> facts;
    std::optional<contract::Refusal> refused;
    try {
        upload = co_await on_files(context, [&] {
            auto created = StoreUpload::create(context.config, customer, *path, tags);
            if (auto length = exchange.content_length()) created.announce(*length);
            return created;
        });
        co_await pump_body(context, exchange, *upload, UINT64_MAX);
        facts = co_await on_files(context, [&] { return upload->finish(); });
    } catch (const UploadRefused& e) {
        refused = e.refusal();
    }
    // A broken connection is not caught: the upload's destructor leaves it partial.
    if (facts) {
        log::info("http_upload_accepted", {{"customer", customer},
                                           {"path", *path},
                                           {"bytes", facts->bytes},
                                           {"remote", exchange.remote()}});
        Reply reply = json_reply(Status::created, facts_json(customer, *facts));
        co_return std::move(reply);
    }
    log::info("http_upload_refused", {{"customer", customer},
                                      {"path", *path},
                                      {"errno", refused->error},
                                      {"reason", refused->reason}});
    Reply reply = refusal_reply(*refused);
    co_return std::move(reply);
}

}  // namespace dropgate::http
