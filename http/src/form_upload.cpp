// POST /upload/[<dir>/] with multipart/form-data: an HTML form or `curl -F file=@x.tgz`. Each
// file part is streamed to the store under its filename as its own upload, with its own
// verdict; the reply lists one result per file. Fields that are not files are ignored.
#include <optional>

#include "body_pump.hpp"
#include "dropgate/base/ids.hpp"
#include "dropgate/base/log.hpp"
#include "handlers.hpp"
#include "multipart.hpp"
#include "replies.hpp"

namespace dropgate::http {

namespace {

// One file part on its way into the store.
struct PartUpload {
    std::string name;
    std::optional<StoreUpload> upload;
    std::optional<contract::Refusal> refused;
    std::string pending;  // bytes not yet written (written in kWriteSize steps)
};

nlohmann::ordered_json result_of(const PartUpload& part, const std::optional<BundleFacts>& facts) {
    if (facts)
        return {{"name", part.name},     {"status", 201},           {"path", facts->path},
                {"bytes", facts->bytes}, {"sha256", facts->sha256}, {"members", facts->members}};
    return {{"name", part.name},
            {"status", static_cast<int>(status_for(part.refused->error))},
            {"reason", part.refused->reason}};
}

}  // namespace

awaitable<Reply> post_upload(Call& call) {
    Context& context = call.context;
    Exchange& exchange = call.exchange;
    auto boundary = multipart_boundary(exchange.header("Content-Type"));
    if (!boundary)
        co_return text_reply(
            Status::unsupported_media_type,
            "expected multipart/form-data (or PUT /upload/<name> with the bundle)");
    std::string dir = call.rest;
    while (!dir.empty() && dir.back() == '/') dir.pop_back();
    if (!dir.empty() && !relative_path(dir)) co_return text_reply(Status::bad_request, "bad path");
    const std::string customer = call.who.user->name;
    MultipartReader reader(*boundary);
    auto results = nlohmann::ordered_json::array();
    Status worst = Status::created;
    std::optional<PartUpload> part;
    auto conclude = [&](const std::optional<BundleFacts>& facts) {  // one result per file
        results.push_back(result_of(*part, facts));
        if (part->refused && worst == Status::created) worst = status_for(part->refused->error);
        log::info(facts ? "http_upload_accepted" : "http_upload_refused",
                  {{"customer", customer}, {"name", part->name}, {"protocol", "form"}});
    };
    auto buffer = std::make_unique<char[]>(kWriteSize);
    bool malformed = false;
    while (!exchange.body_done() && !malformed) {
        std::size_t n = co_await exchange.read_body(buffer.get(), kWriteSize);
        if (n == 0) break;
        std::vector<MultipartReader::Event> events;
        try {
            events = reader.feed({buffer.get(), n});
        } catch (const std::invalid_argument&) {
            malformed = true;
        }
        for (auto& event : events) {
            if (event.kind == MultipartReader::Event::begin) {
                part.reset();
                if (event.text.empty()) continue;  // a plain form field
                part.emplace();
                part->name = event.text;
                auto path = relative_path(dir.empty() ? event.text : dir + "/" + event.text);
                if (!path) {
                    part->refused = contract::Refusal{EACCES, "bad file name: " + event.text};
                } else {
                    StoreUpload::Tags tags{new_upload_id(), exchange.remote(),
                                           std::string(exchange.header("User-Agent"))};
                    try {
                        part->upload = co_await on_files(context, [&] {
                            return StoreUpload::create(context.config, customer, *path, tags);
                        });
                    } catch (const UploadRefused& e) {
                        part->refused = e.refusal();
                    }
                }
                if (part->refused) conclude(std::nullopt);  // refused before its first byte
                continue;
            }
            if (!part || !part->upload) continue;  // a field, or a part already refused
            if (event.kind == MultipartReader::Event::data) part->pending += event.text;
            const bool last = event.kind == MultipartReader::Event::end;
            if (part->pending.size() < kWriteSize && !last) continue;
            std::optional<BundleFacts> facts;
            try {
                co_await on_files(context, [&] {
                    part->upload->write(part->pending.data(), part->pending.size());
                    return 0;
                });
                part->pending.clear();
                if (last)
                    facts = co_await on_files(context, [&] { return part->upload->finish(); });
            } catch (const UploadRefused& e) {
                part->refused = e.refusal();
            }
            if (part->refused) part->upload.reset();  // its verdict is committed
            if (!last && !part->refused) continue;
            conclude(facts);
            part->upload.reset();
        }
    }
    if (part && part->upload) co_await suspend_upload(context, *part->upload);  // cut: partial
    if (malformed || !reader.finished())
        co_return text_reply(Status::bad_request,
                             "the multipart body ended before its closing boundary");
    if (results.empty()) co_return text_reply(Status::bad_request, "no file in the form");
    nlohmann::ordered_json body;
    body["results"] = std::move(results);
    co_return json_reply(worst, body);
}

}  // namespace dropgate::http
