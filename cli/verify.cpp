// dropgate verify: the store and the index agree (see index/verify.hpp for what is checked).
// Exit 0 when clean (or when --repair removed every problem found), 1 otherwise.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "command.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/index/index.hpp"
#include "dropgate/index/verify.hpp"

namespace dropgate::cli {

namespace {

struct VerifyOptions {
    std::string config;
    bool repair = false;
};

void run_verify(const VerifyOptions& options) {
    auto config = config::load(options.config);
    std::error_code ec;
    if (!std::filesystem::exists(config.index.database, ec))
        throw UserError("index database " + config.index.database.string() +
                        " does not exist (it is created when the store starts)");
    // Read-write: --repair writes, and an older schema is migrated first.
    auto index = index::Index::open(config.index.database);
    std::uint64_t remaining = 0;
    auto summary = index::verify_store(
        index, config.store.root, options.repair, [&](const index::Problem& problem) {
            std::printf("%-16s %s: %s\n", std::string(index::to_string(problem.kind)).c_str(),
                        problem.name.c_str(), problem.detail.c_str());
            // Only a removed staging leftover is gone for good; a missing bundle stays a problem.
            bool resolved =
                problem.repaired && problem.kind == index::ProblemKind::staging_leftover;
            if (!resolved) ++remaining;
        });
    std::printf(
        "verify: %llu bundles checked, %llu files under bundles/, %llu partial uploads, %llu "
        "problems, %llu repaired\n",
        static_cast<unsigned long long>(summary.bundles_checked),
        static_cast<unsigned long long>(summary.files_seen),
        static_cast<unsigned long long>(summary.partials),
        static_cast<unsigned long long>(summary.problems),
        static_cast<unsigned long long>(summary.repaired));
    std::fflush(stdout);
    if (remaining > 0) throw ExitStatus(1);
}

}  // namespace

void add_verify(CLI::App& app) {
    auto options = std::make_shared<VerifyOptions>();
    auto* cmd = app.add_subcommand("verify", "Check that the store and the index agree");
    cmd->add_option("-c,--config", options->config, "Config file")->required();
    cmd->add_flag(
        "--repair", options->repair,
        "Remove staging leftovers and mark rows of missing files (never deletes a bundle)");
    cmd->callback([options] { run_verify(*options); });
}

}  // namespace dropgate::cli
