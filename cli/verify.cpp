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
#include "dropgate/replicate/verify_remote.hpp"

namespace dropgate::cli {

namespace {

struct VerifyOptions {
    std::string config;
    bool repair = false;
    bool remote = false;
    bool deep = false;
};

// Each replicated bundle's object; returns the problems left.
std::uint64_t check_remote(const config::Config& config, bool repair, bool deep) {
    if (!config.replicate) throw UserError(config.source.string() + ": no [replicate] section");
    std::uint64_t remaining = 0;
    auto summary =
        replicate::verify_remote(config, repair, deep, [&](const replicate::RemoteProblem& p) {
            std::printf("%-16s %s: %s\n", "remote", p.name.c_str(), p.detail.c_str());
            if (!p.repaired) ++remaining;
        });
    std::printf("verify --remote: %llu objects checked, %llu problems, %llu repaired\n",
                static_cast<unsigned long long>(summary.objects_checked),
                static_cast<unsigned long long>(summary.problems),
                static_cast<unsigned long long>(summary.repaired));
    return remaining;
}

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
        "problems, %llu repaired",
        static_cast<unsigned long long>(summary.bundles_checked),
        static_cast<unsigned long long>(summary.files_seen),
        static_cast<unsigned long long>(summary.partials),
        static_cast<unsigned long long>(summary.problems),
        static_cast<unsigned long long>(summary.repaired));
    if (summary.remote_only > 0)  // stubs: their bytes are checked by --remote
        std::printf(", %llu only in object storage",
                    static_cast<unsigned long long>(summary.remote_only));
    std::printf("\n");
    if (options.remote) remaining += check_remote(config, options.repair, options.deep);
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
    cmd->add_flag("--remote", options->remote,
                  "Also check every replicated bundle's object (size and sha256 metadata)");
    cmd->add_flag("--deep", options->deep,
                  "With --remote: also read every object back and check the SHA-256 of its bytes");
    cmd->callback([options] { run_verify(*options); });
}

}  // namespace dropgate::cli
