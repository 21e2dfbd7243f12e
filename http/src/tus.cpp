// tus 1.0 at /files/ (core, creation, creation-with-upload, termination, expiration, checksum)
// over the store's partial uploads: an upload between requests is a partial in the mount, a
// PATCH continues it at its size, and the PATCH that brings it to Upload-Length closes it for
// the verdict. A refused upload answers that PATCH with the refusal and every later HEAD with
// 410 Gone and the reason, so no client can mistake it for complete (tus-js-client#557).
#include <sys/stat.h>

#include <ctime>
#include <optional>

#include "body_pump.hpp"
#include "dropgate/base/ids.hpp"
#include "dropgate/base/log.hpp"
#include "dropgate/index/verdicts.hpp"
#include "handlers.hpp"
#include "header_values.hpp"
#include "replies.hpp"
#include "tus_id.hpp"

namespace dropgate::http {

namespace {

constexpr std::string_view kOffsetStream = "application/offset+octet-stream";
// A PATCH with Upload-Checksum is held in memory until its digest is checked: bytes the store
// took cannot be taken back. Clients that send checksums send chunks (tus-js-client chunkSize).
constexpr std::size_t kChecksumChunkLimit = 64u << 20;
constexpr const char* kPastLength = "the body goes past Upload-Length";

Reply locked() {
    return text_reply(Status::locked, "another request is writing this upload");
}

Reply tus(Reply reply) {
    reply.header("Tus-Resumable", kTusVersion);
    return reply;
}

std::string http_date(std::time_t when) {
    std::tm tm{};
    gmtime_r(&when, &tm);
    char text[64];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return text;
}

std::optional<std::uint64_t> header_number(const Exchange& exchange, std::string_view name) {
    return decimal_value(exchange.header(name));
}

// Where a tus upload stands, from the mount and the index (blocking).
struct TusState {
    enum Kind { pending, partial, accepted, gone, unknown } kind = pending;
    std::uint64_t offset = 0;
    std::string reason;  // gone: why
    std::time_t expires = 0;
};

TusState tus_state(const config::Config& config, const std::string& customer, const TusId& id) {
    const auto window = config.store.resume_window.count();
    struct stat st {};
    auto file = config.store.mount / customer / id.path;
    auto verdict = index::find_verdict(config.index.database, id.upload_id);
    if (verdict && (verdict->customer != customer || verdict->path != id.path))
        return {TusState::unknown, 0, {}, 0};  // someone else's upload id: nothing to see
    if (::stat(file.c_str(), &st) == 0) {
        if (!(st.st_mode & S_IRUSR))  // partial (or being written): its size is the offset
            return {TusState::partial,
                    static_cast<std::uint64_t>(st.st_size),
                    {},
                    st.st_mtime + window};
        if (verdict && verdict->state == contract::UploadState::accepted)
            return {TusState::accepted, id.length, {}, 0};
        return {TusState::gone, 0, contract::already_exists(customer + "/" + id.path), 0};
    }
    if (verdict && verdict->state == contract::UploadState::accepted)
        return {TusState::accepted, id.length, {}, 0};
    if (verdict && !verdict->reason.empty()) return {TusState::gone, 0, verdict->reason, 0};
    if (verdict || std::time(nullptr) > id.created + window)
        return {TusState::gone, 0, "the upload expired (not continued within resume_window)", 0};
    return {TusState::pending, 0, {}, id.created + window};
}

std::optional<TusId> id_of(const Call& call) {
    auto id = TusId::decode(call.rest);
    if (!id || !relative_path(id->path)) return std::nullopt;
    return id;
}

// nullopt when Upload-Checksum matches `body`; else the reply refusing the request.
std::optional<Reply> checksum_problem(std::string_view header, std::string_view body) {
    switch (check_checksum(header, body)) {
        case Checksum::matches:
            return std::nullopt;
        case Checksum::unsupported_algorithm:
            return text_reply(Status::bad_request,
                              "Upload-Checksum: the algorithm must be sha256, sha1 or md5");
        case Checksum::mismatch:
            break;
    }
    return text_reply(static_cast<Status>(460),
                      "checksum mismatch: nothing of this request was kept");
}

// Writes the request body at `offset` of the upload; the reply says where it stands after.
awaitable<Reply> write_at(Call& call, const TusId& id, std::uint64_t offset,
                          const TusState& state) {
    auto& context = call.context;
    auto& exchange = call.exchange;
    const std::string customer = call.who.user->name;
    if (auto size = exchange.content_length(); size && offset + *size > id.length)
        co_return text_reply(Status::payload_too_large, kPastLength);
    std::string held;  // the whole chunk, when it carries a checksum
    if (std::string_view checksum = exchange.header("Upload-Checksum"); !checksum.empty()) {
        auto size = exchange.content_length();
        if (!size || *size > kChecksumChunkLimit)
            co_return text_reply(Status::payload_too_large,
                                 "a PATCH with Upload-Checksum takes at most 64 MiB with a "
                                 "Content-Length");
        held.resize(*size);
        std::size_t got = 0;
        while (got < held.size()) {
            std::size_t n = co_await exchange.read_body(held.data() + got, held.size() - got);
            if (n == 0) break;
            got += n;
        }
        held.resize(got);
        if (auto problem = checksum_problem(checksum, held)) co_return *problem;
    }
    StoreUpload::Tags tags{id.upload_id, exchange.remote(),
                           std::string(exchange.header("User-Agent"))};
    std::optional<StoreUpload> upload;
    std::optional<contract::Refusal> refused;
    bool broken = false;
    try {
        upload = co_await on_files(context, [&] {
            auto opened =
                state.kind == TusState::pending
                    ? StoreUpload::create(context.config, customer, id.path, tags)
                    : StoreUpload::resume(context.config, customer, id.path, offset, tags);
            opened.announce(id.length);
            return opened;
        });
        bool fits = true;
        if (!held.empty())
            co_await on_files(context, [&] {
                upload->write(held.data(), held.size());
                return 0;
            });
        else
            fits = co_await pump_body(context, exchange, *upload, id.length - offset);
        if (!fits) {
            co_await suspend_upload(context, *upload);
            co_return text_reply(Status::payload_too_large, kPastLength);
        }
        if (upload->size() < id.length) {
            std::uint64_t now_at = upload->size();
            co_await suspend_upload(context, *upload);
            co_return tus(Reply{Status::no_content, {}, {}, {}})
                .header("Upload-Offset", std::to_string(now_at));
        }
        auto facts = co_await on_files(context, [&] { return upload->finish(); });
        log::info("http_upload_accepted", {{"customer", customer},
                                           {"path", id.path},
                                           {"bytes", facts.bytes},
                                           {"protocol", "tus"}});
        co_return tus(Reply{Status::no_content, {}, {}, {}})
            .header("Upload-Offset", std::to_string(id.length));
    } catch (const UploadRefused& e) {
        refused = e.refusal();
    } catch (const boost::system::system_error&) {
        broken = true;  // the connection: what arrived stays partial
    }
    if (broken) {
        if (upload) co_await suspend_upload(context, *upload);
        throw boost::system::system_error(boost::asio::error::connection_reset);
    }
    log::info("http_upload_refused", {{"customer", customer},
                                      {"path", id.path},
                                      {"protocol", "tus"},
                                      {"reason", refused->reason}});
    Reply reply = tus(refusal_reply(*refused));
    if (refused->error == EINVAL) {  // not at its offset: say where it is
        auto now =
            co_await on_files(context, [&] { return tus_state(context.config, customer, id); });
        reply.header("Upload-Offset", std::to_string(now.offset));
    }
    co_return reply;
}

awaitable<TusState> state_of(Call& call, const TusId& id) {
    const std::string customer = call.who.user->name;
    co_return co_await on_files(call.context,
                                [&] { return tus_state(call.context.config, customer, id); });
}

// 404 for someone else's upload, 410 with the reason for a refused or expired one.
std::optional<Reply> no_longer_writable(const TusState& state) {
    if (state.kind == TusState::unknown)
        return tus(text_reply(Status::not_found, "no such upload"));
    if (state.kind == TusState::gone) return tus(text_reply(Status::gone, state.reason));
    return std::nullopt;
}

}  // namespace

awaitable<Reply> tus_options(Call& call) {
    co_return Reply{Status::no_content, {}, {}, {}}
        .header("Tus-Resumable", kTusVersion)
        .header("Tus-Version", kTusVersion)
        .header("Tus-Extension", "creation,creation-with-upload,termination,expiration,checksum")
        .header("Tus-Max-Size", std::to_string(call.context.config.store.max_bundle_size))
        .header("Tus-Checksum-Algorithm", "sha256,sha1,md5");
}

awaitable<Reply> tus_create(Call& call) {
    // (no structured binding: GCC 12 miscompiles them in coroutines)
    Context& context = call.context;
    Exchange& exchange = call.exchange;
    const Principal& who = call.who;
    if (exchange.has_header("Upload-Defer-Length"))
        co_return tus(text_reply(Status::bad_request, "Upload-Defer-Length is not supported"));
    auto length = header_number(exchange, "Upload-Length");
    if (!length)
        co_return tus(text_reply(Status::bad_request, "Upload-Length is missing or not a number"));
    if (*length > context.config.store.max_bundle_size)
        co_return tus(refusal_reply(
            {EFBIG, contract::bundle_too_large(context.config.store.max_bundle_size)}));
    const std::string_view metadata = exchange.header("Upload-Metadata");
    std::string filename = metadata_value(metadata, "filename");
    if (filename.empty()) filename = metadata_value(metadata, "name");
    auto path = relative_path(filename);
    if (!path)
        co_return tus(text_reply(Status::bad_request,
                                 "Upload-Metadata needs a filename (base64) that is a safe path"));
    if (!context.names.is_bundle(contract::base_name(*path)))
        co_return tus(
            text_reply(Status::forbidden, context.names.refusal(contract::base_name(*path))));
    const std::string customer = who.user->name;
    bool taken = co_await on_files(context, [&] {
        struct stat st {};
        return ::stat((context.config.store.mount / customer / *path).c_str(), &st) == 0;
    });
    if (taken)
        co_return tus(
            text_reply(Status::conflict, contract::already_exists(customer + "/" + *path)));
    TusId id{new_upload_id(), static_cast<std::int64_t>(std::time(nullptr)), *length, *path};
    const std::string location = "/files/" + id.encode();
    Reply reply = tus(Reply{Status::created, {}, {}, {}});
    if (exchange.header("Content-Type") == kOffsetStream && !exchange.body_done()) {
        UploadLock lock(context, id.upload_id);
        const TusState fresh{};
        Reply written = co_await write_at(call, id, 0, fresh);
        if (written.status != Status::no_content) {
            written.header("Location", location);
            co_return std::move(written);
        }
        for (auto& [name, value] : written.headers)
            if (name == "Upload-Offset") reply.header(name, value);
    }
    reply.header("Location", location)
        .header("Upload-Expires",
                http_date(id.created + context.config.store.resume_window.count()));
    log::info("tus_created", {{"customer", customer},
                              {"path", *path},
                              {"length", *length},
                              {"upload_id", id.upload_id}});
    co_return std::move(reply);
}

awaitable<Reply> tus_head(Call& call) {
    auto id = id_of(call);
    if (!id) co_return tus(text_reply(Status::not_found, "no such upload"));
    const TusState state = co_await state_of(call, *id);
    if (auto ended = no_longer_writable(state)) co_return *ended;
    Reply reply = tus(Reply{Status::ok, {}, {}, {}});
    reply.header("Upload-Offset", std::to_string(state.offset))
        .header("Upload-Length", std::to_string(id->length))
        .header("Cache-Control", "no-store");
    if (state.expires) reply.header("Upload-Expires", http_date(state.expires));
    co_return std::move(reply);
}

awaitable<Reply> tus_patch(Call& call) {
    auto& exchange = call.exchange;
    auto id = id_of(call);
    if (!id) co_return tus(text_reply(Status::not_found, "no such upload"));
    if (exchange.header("Content-Type") != kOffsetStream)
        co_return tus(text_reply(Status::unsupported_media_type,
                                 "Content-Type must be application/offset+octet-stream"));
    auto offset = header_number(exchange, "Upload-Offset");
    if (!offset)
        co_return tus(text_reply(Status::bad_request, "Upload-Offset is missing or not a number"));
    UploadLock lock(call.context, id->upload_id);
    if (!lock.held()) co_return tus(locked());
    const TusState state = co_await state_of(call, *id);
    if (auto ended = no_longer_writable(state)) co_return *ended;
    if (state.offset != *offset)
        co_return tus(text_reply(Status::conflict, "Upload-Offset " + std::to_string(*offset) +
                                                       " is not the upload's offset " +
                                                       std::to_string(state.offset)))
            .header("Upload-Offset", std::to_string(state.offset));
    if (state.kind == TusState::accepted)
        co_return tus(Reply{Status::no_content, {}, {}, {}})
            .header("Upload-Offset", std::to_string(id->length));
    Reply reply = co_await write_at(call, *id, *offset, state);
    co_return reply;
}

awaitable<Reply> tus_delete(Call& call) {
    auto id = id_of(call);
    if (!id) co_return tus(text_reply(Status::not_found, "no such upload"));
    UploadLock lock(call.context, id->upload_id);
    if (!lock.held()) co_return tus(locked());
    const std::string customer = call.who.user->name;
    auto ended = co_await on_files(call.context, [&]() -> std::optional<Reply> {
        auto state = tus_state(call.context.config, customer, *id);
        if (state.kind == TusState::unknown) return text_reply(Status::not_found, "no such upload");
        if (state.kind == TusState::accepted)
            return text_reply(Status::forbidden, "the upload was accepted; bundles are immutable");
        if (state.kind == TusState::partial) {
            // Truncation starts it over; closed empty and tagged aborted, the store aborts it.
            StoreUpload::Tags tags{id->upload_id, call.exchange.remote(), {}};
            auto upload =
                StoreUpload::resume(call.context.config, customer, id->path, state.offset, tags);
            upload.abandon();
        }
        return std::nullopt;
    });
    if (ended) co_return tus(std::move(*ended));
    co_return tus(Reply{Status::no_content, {}, {}, {}});
}

}  // namespace dropgate::http
