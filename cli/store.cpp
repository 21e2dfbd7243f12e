// `dropgate store -c CONFIG`: the write-enabled FUSE store at store.mount, in the foreground.
#include <filesystem>

#include "command.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/fs/store.hpp"

namespace dropgate::cli {

void add_store(CLI::App& app) {
    auto* cmd = app.add_subcommand("store", "Run the write-enabled FUSE store in the foreground");
    struct Flags {
        std::string config;
        std::string log_level;
        bool writeback = false;
        std::string hold_timeout = "10m";
    };
    auto flags = std::make_shared<Flags>();
    cmd->add_option("-c,--config", flags->config, "Config file")->required();
    add_log_level_option(cmd, flags->log_level);
    cmd->add_flag("--writeback-cache", flags->writeback,
                  "Let the kernel batch small writes (faster for small writes, slower close)");
    cmd->add_option("--hold-timeout", flags->hold_timeout,
                    "How long an accepted temp-suffix upload (x.tgz.filepart) waits for its rename")
        ->capture_default_str();
    cmd->callback([flags] {
        fs::MountSettings settings;
        apply_log_level(flags->log_level);
        try {
            settings.hold_timeout = config::parse_duration(flags->hold_timeout);
        } catch (const std::invalid_argument& e) {
            throw UserError(e.what());
        }
        config::Config config = config::load(flags->config);
        settings.mountpoint = config.store.mount;
        settings.writeback_cache = flags->writeback;
        if (int status = fs::run(config, settings); status != 0) throw ExitStatus(status);
    });
}

}  // namespace dropgate::cli
