// `dropgate grep PATTERN [--member GLOB] [--customer C] [--since T] [-i] [-l] [--json]`: lines
// of members inside accepted bundles, printed like `grep -H -n` with the bundle in front
// (customer/bundle:member:line:text); exit 0 with a match, 1 without, 2 on an error.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "bundle_ref.hpp"
#include "command.hpp"
#include "dropgate/base/time.hpp"
#include "dropgate/inside/grep.hpp"

namespace dropgate::cli {

namespace {

struct GrepCommand {
    std::string config, customer, since;
    inside::GrepOptions grep;
    bool json = false;
};

void print(const GrepCommand& options, const inside::GrepMatch& m) {
    const std::string where = m.customer + "/" + m.bundle;
    if (options.json) {
        nlohmann::ordered_json line{
            {"customer", m.customer}, {"bundle", m.bundle}, {"member", m.member}};
        if (!options.grep.members_only) {
            line["line"] = m.line;
            line["text"] = m.text;
        }
        std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else if (options.grep.members_only) {
        std::cout << where << ':' << m.member << '\n';
    } else {
        std::cout << where << ':' << m.member << ':' << m.line << ':' << m.text << '\n';
    }
}

void run_grep(GrepCommand& options) {
    auto config = config::load(options.config);
    read_only_index(config);  // a missing index is said in one line
    if (!options.customer.empty()) options.grep.filter.customer = options.customer;
    if (!options.since.empty()) {
        try {
            options.grep.filter.since = parse_since(options.since, index::Clock::now());
        } catch (const std::invalid_argument& e) {
            throw UserError(e.what());
        }
    }
    inside::GrepSummary summary;
    try {
        summary = inside::grep(
            config, options.grep, [&](const inside::GrepMatch& m) { print(options, m); },
            [](const std::string& error) { std::cerr << "dropgate grep: " << error << '\n'; });
    } catch (const std::invalid_argument& e) {
        throw UserError(e.what());
    }
    std::cout.flush();
    if (summary.errors) throw ExitStatus(2);
    if (!summary.matches) throw ExitStatus(1);
}

}  // namespace

void add_grep(CLI::App& app) {
    auto options = std::make_shared<GrepCommand>();
    auto* cmd = app.add_subcommand("grep", "Search lines inside the members of accepted bundles");
    cmd->add_option("-c,--config", options->config, "Config file")->required();
    cmd->add_option("PATTERN", options->grep.pattern, "A basic regular expression, as grep's")
        ->required();
    cmd->add_option("--member", options->grep.member_glob,
                    "Only members whose path matches this glob (* also matches /)");
    cmd->add_option("--customer", options->customer, "Only this customer's bundles");
    cmd->add_option("--since", options->since,
                    "Only bundles accepted since a UTC date/time or a duration ago (24h, 7d)");
    cmd->add_flag("-i,--ignore-case", options->grep.ignore_case, "Ignore case");
    cmd->add_flag("-l,--files-with-matches", options->grep.members_only,
                  "Print each matching member once, not its lines");
    cmd->add_flag("--json", options->json, "One JSON object per match");
    cmd->add_option("--threads", options->grep.threads,
                    "Searching threads (default: one per core)");
    cmd->callback([options] { run_grep(*options); });
}

}  // namespace dropgate::cli
