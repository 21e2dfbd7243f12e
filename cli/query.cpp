// dropgate query: read-only views of the index. Tables for people, JSON lines (--json) for scripts.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bundle_ref.hpp"
#include "command.hpp"
#include "dropgate/base/time.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/contract/states.hpp"
#include "dropgate/index/index.hpp"
#include "dropgate/index/replicas.hpp"
#include "table.hpp"

namespace dropgate::cli {

namespace {

using index::Index;
using index::Member;
using index::UploadRecord;
using nlohmann::json;

struct QueryOptions {
    std::string config;
    std::string customer, since, status;
    bool json = false;
    std::string bundle, glob;
    bool all_bans = false;
};

void print_json(const json& object) {
    std::printf("%s\n", object.dump().c_str());
}

std::string octal_mode(std::uint32_t mode) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04o", mode & 07777);
    return buffer;
}

json upload_json(const UploadRecord& r) {
    return json{{"id", r.id},
                {"upload_id", r.upload_id},
                {"customer", r.customer},
                {"path", r.path},
                {"remote", r.remote},
                {"client_version", r.client_version},
                {"started_at", format_timestamp(r.started_at)},
                {"finished_at", format_timestamp(r.finished_at)},
                {"bytes", r.bytes},
                {"sha256", r.sha256},
                {"status", contract::to_string(r.status)},
                {"reason", r.reason},
                {"gzip_members", r.gzip_members},
                {"uncompressed_bytes", r.uncompressed_bytes},
                {"member_count", r.member_count},
                {"missing_since",
                 r.missing_since ? json(format_timestamp(*r.missing_since)) : json(nullptr)}};
}

json member_json(const Member& m) {
    return json{{"path", m.path},
                {"type", std::string(1, m.type)},
                {"size", m.size},
                {"mode", m.mode},
                {"mtime", m.mtime},
                {"uid", m.uid},
                {"gid", m.gid},
                {"uname", m.uname},
                {"gname", m.gname},
                {"linkname", m.linkname},
                {"header_offset", m.header_offset},
                {"data_offset", m.data_offset}};
}

std::string member_name(const Member& m) {
    return m.linkname.empty() ? m.path : m.path + " -> " + m.linkname;
}

Index open_index(const QueryOptions& options) {
    return read_only_index(config::load(options.config));
}

index::UploadFilter filter_of(const QueryOptions& options) {
    index::UploadFilter filter;
    if (!options.customer.empty()) filter.customer = options.customer;
    if (!options.status.empty()) filter.status = contract::parse_state(options.status);
    if (!options.since.empty()) {
        try {
            filter.since = parse_since(options.since, index::Clock::now());
        } catch (const std::invalid_argument& e) {
            throw UserError(e.what());
        }
    }
    return filter;
}

void run_bundles(const QueryOptions& options) {
    auto index = open_index(options);
    auto rows = index.uploads(filter_of(options));
    if (options.json) {
        for (const auto& r : rows) print_json(upload_json(r));
        return;
    }
    Table table(
        {"FINISHED", "CUSTOMER", "PATH", "STATUS", "BYTES", "MEMBERS", "UPLOAD_ID", "REASON"},
        {false, false, false, false, true, true, false, false});
    for (const auto& r : rows) {
        std::string status(contract::to_string(r.status));
        if (r.missing_since) status += " (missing)";
        table.add({format_timestamp(r.finished_at), r.customer, r.path, status,
                   std::to_string(r.bytes), std::to_string(r.member_count), r.upload_id, r.reason});
    }
    table.print();
}

void run_members(const QueryOptions& options) {
    auto index = open_index(options);
    const auto found = one_bundle(index, options.bundle);
    const auto* bundle = &found;
    if (bundle->status != index::UploadState::accepted)
        std::fprintf(
            stderr, "dropgate: upload %s was %s (%s); only accepted bundles have members\n",
            bundle->upload_id.c_str(), std::string(contract::to_string(bundle->status)).c_str(),
            bundle->reason.c_str());
    if (options.json) {
        index.members(bundle->id, [](const Member& m) { print_json(member_json(m)); });
        return;
    }
    Table table({"TYPE", "MODE", "SIZE", "MTIME", "PATH"}, {false, false, true, false, false});
    index.members(bundle->id, [&](const Member& m) {
        table.add({std::string(1, m.type), octal_mode(m.mode), std::to_string(m.size),
                   format_timestamp(index::Clock::from_time_t(m.mtime)).substr(0, 19) + "Z",
                   member_name(m)});
    });
    table.print();
}

void run_find(const QueryOptions& options) {
    auto index = open_index(options);
    if (options.json) {
        index.find_members(options.glob, filter_of(options), [](const index::FoundMember& f) {
            json object{{"customer", f.customer}, {"bundle", f.bundle}, {"upload", f.upload}};
            object.update(member_json(f.member));
            print_json(object);
        });
        return;
    }
    Table table({"CUSTOMER", "BUNDLE", "TYPE", "SIZE", "PATH"}, {false, false, false, true, false});
    index.find_members(options.glob, filter_of(options), [&](const index::FoundMember& f) {
        table.add({f.customer, f.bundle, std::string(1, f.member.type),
                   std::to_string(f.member.size), member_name(f.member)});
    });
    table.print();
}

// Customers with a quota: what they keep (accepted, not deleted for good) against it.
void print_quotas(const QueryOptions& options, const config::Config& config,
                  const index::Index& index) {
    Table table({"CUSTOMER", "KEPT_BUNDLES", "MAX_BUNDLES", "KEPT_BYTES", "MAX_BYTES"},
                {false, true, true, true, true});
    const auto limit = [](const std::optional<std::uint64_t>& max) {
        return max ? std::to_string(*max) : std::string("-");
    };
    for (const auto& customer : config.customers()) {
        const config::Quota quota = config.quota_of(customer);
        if (!quota.limits()) continue;
        if (!options.customer.empty() && options.customer != customer) continue;
        const index::Usage kept = index.usage(customer);
        if (options.json) {
            json line{
                {"customer", customer}, {"kept_bundles", kept.bundles}, {"kept_bytes", kept.bytes}};
            if (quota.max_bundles) line["max_bundles"] = *quota.max_bundles;
            if (quota.max_bytes) line["max_bytes"] = *quota.max_bytes;
            print_json(line);
            continue;
        }
        table.add({customer, std::to_string(kept.bundles), limit(quota.max_bundles),
                   std::to_string(kept.bytes), limit(quota.max_bytes)});
    }
    if (!options.json && !table.empty()) {
        std::printf("\n");
        table.print();
    }
}

void run_stats(const QueryOptions& options) {
    const auto config = config::load(options.config);
    auto index = read_only_index(config);
    auto rows = index.stats(filter_of(options));
    if (options.json) {
        for (const auto& s : rows)
            print_json(json{{"customer", s.customer},
                            {"status", contract::to_string(s.status)},
                            {"uploads", s.uploads},
                            {"bytes", s.bytes},
                            {"uncompressed_bytes", s.uncompressed_bytes},
                            {"members", s.members}});
    } else {
        Table table({"CUSTOMER", "STATUS", "UPLOADS", "BYTES", "UNCOMPRESSED", "MEMBERS"},
                    {false, false, true, true, true, true});
        for (const auto& s : rows)
            table.add({s.customer, std::string(contract::to_string(s.status)),
                       std::to_string(s.uploads), std::to_string(s.bytes),
                       std::to_string(s.uncompressed_bytes), std::to_string(s.members)});
        table.print();
    }
    print_quotas(options, config, index);
}

std::string optional_time(const std::optional<index::Clock::time_point>& when) {
    return when ? format_timestamp(*when) : "";
}

void run_replication(const QueryOptions& options) {
    auto config = config::load(options.config);
    std::optional<index::Replicas> replicas;
    try {
        replicas.emplace(index::Replicas::open(config.index.database, /*read_only=*/true));
    } catch (const index::IndexError& e) {
        throw UserError(e.what());
    }
    auto rows = replicas->list(filter_of(options));
    if (options.json) {
        for (const auto& r : rows)
            print_json(json{{"customer", r.customer},
                            {"path", r.path},
                            {"bytes", r.bytes},
                            {"sha256", r.sha256},
                            {"state", index::to_string(r.state)},
                            {"location", r.location()},
                            {"tries", r.tries},
                            {"error_kind", r.error_kind},
                            {"last_error", r.last_error},
                            {"key", r.object_key},
                            {"etag", r.etag},
                            {"accepted_at", format_timestamp(r.accepted_at)},
                            {"replicated_at", optional_time(r.replicated_at)},
                            {"local_removed_at", optional_time(r.local_removed_at)},
                            {"deleted_at", optional_time(r.deleted_at)}});
        return;
    }
    Table table({"ACCEPTED", "CUSTOMER", "PATH", "STATE", "LOCATION", "TRIES", "REPLICATED",
                 "KEY / LAST ERROR"},
                {false, false, false, false, false, true, false, false});
    for (const auto& r : rows)
        table.add({format_timestamp(r.accepted_at), r.customer, r.path,
                   std::string(index::to_string(r.state)), r.location(), std::to_string(r.tries),
                   optional_time(r.replicated_at),
                   r.state == index::ReplicaState::queued ? r.last_error : r.object_key});
    table.print();
}

}  // namespace

void add_query(CLI::App& app) {
    auto options = std::make_shared<QueryOptions>();
    auto* cmd = app.add_subcommand(
        "query", "Query the index (bundles, members, find, stats, replication, bans)");
    cmd->add_option("-c,--config", options->config, "Config file")->required();
    cmd->add_option("--customer", options->customer, "Only this customer's uploads");
    cmd->add_option("--since", options->since,
                    "Only uploads finished since a UTC date/time (2026-11-23, "
                    "2026-11-23T10:00Z) or a duration ago (90m, 24h, 7d)");
    cmd->add_option("--status", options->status, "Only uploads with this status")
        ->check(CLI::IsMember(contract::state_names()));
    cmd->add_flag("--json", options->json, "One JSON object per line instead of a table");
    cmd->require_subcommand(1);

    auto* bundles = cmd->add_subcommand("bundles", "Uploads, newest first (all statuses)");
    bundles->callback([options] { run_bundles(*options); });
    auto* members = cmd->add_subcommand("members", "Members of one bundle, in archive order");
    members->add_option("BUNDLE", options->bundle, "CUSTOMER/PATH or an upload id")->required();
    members->callback([options] { run_members(*options); });
    auto* find =
        cmd->add_subcommand("find", "Members whose path matches a glob, with their bundle");
    find->add_option("GLOB", options->glob, "SQLite GLOB pattern: * ? [...], case-sensitive")
        ->required();
    find->callback([options] { run_find(*options); });
    auto* stats =
        cmd->add_subcommand("stats", "Uploads, bytes and members per customer and status");
    stats->callback([options] { run_stats(*options); });
    auto* replication = cmd->add_subcommand(
        "replication", "Where each accepted bundle lives: queued, replicated, local or remote");
    replication->callback([options] { run_replication(*options); });
    auto* bans = cmd->add_subcommand(
        "bans", "Addresses banned after failed logins (--all: also bans that have ended)");
    bans->add_flag("--all", options->all_bans, "Also the bans that have ended");
    bans->callback(
        [options] { run_query_bans(options->config, options->json, options->all_bans); });
    for (auto* sub : {bundles, members, find, stats, replication, bans}) sub->fallthrough();
}

}  // namespace dropgate::cli
