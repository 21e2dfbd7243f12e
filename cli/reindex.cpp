// `dropgate reindex -c CONFIG [--force]`: gives every accepted bundle that has none its seek
// index (the store does this by itself after each acceptance and at start-up).
#include <cstdio>
#include <memory>

#include "bundle_ref.hpp"
#include "command.hpp"
#include "dropgate/index/index.hpp"
#include "dropgate/inside/reindex.hpp"

namespace dropgate::cli {

namespace {

struct ReindexOptions {
    std::string config;
    bool force = false;
};

void run_reindex(const ReindexOptions& options) {
    auto config = config::load(options.config);
    auto index = read_only_index(config);
    index::UploadFilter accepted;
    accepted.status = index::UploadState::accepted;
    std::uint64_t built = 0, present = 0, remote = 0, failed = 0;
    for (const auto& bundle : index.uploads(accepted)) {
        if (index.location_of(bundle.id) == "deleted") continue;
        auto outcome = inside::index_bundle(config, bundle, options.force);
        const std::string name = bundle.customer + "/" + bundle.path;
        switch (outcome.kind) {
            case inside::IndexOutcome::Kind::built:
                ++built;
                std::printf("indexed  %s: %llu points, %llu bytes, %.2f s\n", name.c_str(),
                            static_cast<unsigned long long>(outcome.points),
                            static_cast<unsigned long long>(outcome.index_bytes), outcome.seconds);
                break;
            case inside::IndexOutcome::Kind::present:
                ++present;
                break;
            case inside::IndexOutcome::Kind::remote:
                ++remote;
                break;
            case inside::IndexOutcome::Kind::failed:
                ++failed;
                std::printf("failed   %s: %s\n", name.c_str(), outcome.error.c_str());
                break;
        }
    }
    std::printf(
        "reindex: %llu built, %llu already indexed, %llu only in object storage, %llu "
        "failed\n",
        static_cast<unsigned long long>(built), static_cast<unsigned long long>(present),
        static_cast<unsigned long long>(remote), static_cast<unsigned long long>(failed));
    std::fflush(stdout);
    if (failed > 0) throw ExitStatus(1);
}

}  // namespace

void add_reindex(CLI::App& app) {
    auto options = std::make_shared<ReindexOptions>();
    auto* cmd = app.add_subcommand("reindex", "Build the seek index of every bundle without one");
    cmd->add_option("-c,--config", options->config, "Config file")->required();
    cmd->add_flag("--force", options->force, "Rebuild every seek index");
    cmd->callback([options] { run_reindex(*options); });
}

}  // namespace dropgate::cli
