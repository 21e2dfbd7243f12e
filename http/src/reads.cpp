// The read side: a customer's own uploads and bundles, every customer's for support — lists
// from the index (read-only), bundle bytes through the store mount, with Range and an ETag
// that is the bundle's SHA-256.
#include <fcntl.h>
#include <sys/stat.h>

#include <optional>

#include "dropgate/base/time.hpp"
#include "dropgate/index/index.hpp"
#include "handlers.hpp"
#include "header_values.hpp"
#include "replies.hpp"
#include "store_upload.hpp"

namespace dropgate::http {

namespace {

bool is_support(const Principal& who) {
    return who.user->role == config::Role::support;
}

// The filter a request asks for; a customer's is always their own.
std::optional<index::UploadFilter> filter_of(const Call& call, std::string& problem) {
    index::UploadFilter filter;
    const std::string& query = call.target.query;
    if (is_support(call.who)) {
        if (auto customer = query_param(query, "customer"); !customer.empty())
            filter.customer = customer;
    } else {
        filter.customer = call.who.user->name;
    }
    if (auto status = query_param(query, "status"); !status.empty()) {
        filter.status = contract::parse_state(status);
        if (!filter.status) {
            problem = "status: expected one of ";
            for (const auto& name : contract::state_names())
                problem += (problem.back() == ' ' ? "" : ", ") + name;
            return std::nullopt;
        }
    }
    if (auto since = query_param(query, "since"); !since.empty()) {
        try {
            filter.since = parse_since(since, std::chrono::system_clock::now());
        } catch (const std::invalid_argument& e) {
            problem = std::string("since: ") + e.what();
            return std::nullopt;
        }
    }
    return filter;
}

nlohmann::ordered_json upload_json(const index::UploadRecord& row) {
    return {{"customer", row.customer},
            {"path", row.path},
            {"status", std::string(contract::to_string(row.status))},
            {"reason", row.reason},
            {"bytes", row.bytes},
            {"sha256", row.sha256},
            {"members", row.member_count},
            {"started_at", format_timestamp(row.started_at)},
            {"finished_at", format_timestamp(row.finished_at)}};
}

}  // namespace

awaitable<Reply> list_uploads(Call& call) {
    std::string problem;
    auto filter = filter_of(call, problem);
    if (!filter) co_return text_reply(Status::bad_request, problem);
    auto rows = co_await on_files(call.context, [&] {
        return index::Index::open(call.context.config.index.database, true).uploads(*filter);
    });
    auto list = nlohmann::ordered_json::array();
    for (const auto& row : rows) list.push_back(upload_json(row));
    nlohmann::ordered_json body;  // (a braced list inside co_await trips GCC 12)
    body["uploads"] = std::move(list);
    co_return json_reply(Status::ok, body);
}

awaitable<Reply> find_members(Call& call) {
    std::string problem;
    auto filter = filter_of(call, problem);
    if (!filter) co_return text_reply(Status::bad_request, problem);
    std::string glob = query_param(call.target.query, "glob");
    if (glob.empty()) glob = "*";
    filter->status = contract::UploadState::accepted;
    constexpr std::size_t kMaxFound = 10000;  // a page is enough to read; the CLI has the rest
    auto found = co_await on_files(call.context, [&] {
        auto list = nlohmann::ordered_json::array();
        index::Index::open(call.context.config.index.database, true)
            .find_members(glob, *filter, [&](const index::FoundMember& hit) {
                if (list.size() < kMaxFound)
                    list.push_back({{"customer", hit.customer},
                                    {"bundle", hit.bundle},
                                    {"member", hit.member.path},
                                    {"size", hit.member.size}});
            });
        return list;
    });
    nlohmann::ordered_json body;
    body["members"] = std::move(found);
    co_return json_reply(Status::ok, body);
}

awaitable<Reply> download(Call& call) {
    // A customer names a path in their own directory; support names "<customer>/<path>".
    std::string rel = is_support(call.who) ? call.rest : call.who.user->name + "/" + call.rest;
    auto path = relative_path(rel);
    auto slash = path ? path->find('/') : std::string::npos;
    if (!path || slash == std::string::npos)
        co_return text_reply(Status::not_found, "no such bundle");
    std::string customer = path->substr(0, slash), inner = path->substr(slash + 1);
    if (in_view(call.context.names, inner)) {  // the views are the support role's
        if (!is_support(call.who)) co_return text_reply(Status::not_found, "no such bundle");
        co_return co_await download_member(call, customer, inner);
    }
    struct Opened {
        UniqueFd fd;
        std::optional<BundleFacts> facts;
    };
    auto opened = co_await on_files(call.context, [&] {
        Opened result;
        result.facts = bundle_facts(call.context.config, customer, inner);
        if (result.facts)
            result.fd.reset(::open((call.context.config.store.mount / customer / inner).c_str(),
                                   O_RDONLY | O_CLOEXEC));
        return result;
    });
    if (!opened.facts || !opened.fd) co_return text_reply(Status::not_found, "no such bundle");
    const std::uint64_t size = opened.facts->bytes;
    const std::string etag = "\"" + opened.facts->sha256 + "\"";
    Reply head{Status::ok, {}, {}, "application/gzip"};
    head.header("ETag", etag).header("Accept-Ranges", "bytes");
    head.header("Content-Disposition", "attachment; filename=\"" +
                                           std::filesystem::path(inner).filename().string() + "\"");
    co_return co_await send_ranged(call, head, opened.fd, size, etag);
}

awaitable<Reply> send_ranged(Call& call, Reply& head, const UniqueFd& fd, std::uint64_t size,
                             const std::string& etag) {
    auto& exchange = call.exchange;
    if (exchange.header("If-None-Match") == etag)
        co_return Reply{Status::not_modified, head.headers, {}, {}};
    std::uint64_t first = 0, length = size;
    if (std::string_view range = exchange.header("Range"); !range.empty()) {
        std::string_view if_range = exchange.header("If-Range");
        if (if_range.empty() || if_range == etag) {
            auto span = parse_range(range, size);
            if (!span)
                co_return text_reply(Status::range_not_satisfiable, "range not satisfiable")
                    .header("Content-Range", "bytes */" + std::to_string(size));
            first = span->first;
            length = span->second - span->first + 1;
            head.status = Status::partial_content;
            head.header("Content-Range", "bytes " + std::to_string(span->first) + "-" +
                                             std::to_string(span->second) + "/" +
                                             std::to_string(size));
        }
    }
    co_await exchange.respond_file(head, fd, first, length);
    co_return already_sent();
}

}  // namespace dropgate::http
