// `dropgate mount -c CONFIG --read-only MOUNTPOINT [-f]`: the support view of every customer's
// accepted bundles. Daemonizes once mounted unless -f.
#include <filesystem>

#include "command.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/contract/layout.hpp"
#include "dropgate/fs/store.hpp"

namespace dropgate::cli {

void add_mount(CLI::App& app) {
    auto* cmd = app.add_subcommand("mount", "Mount the read-only support view of the store");
    struct Flags {
        std::string config;
        std::string mountpoint;
        bool read_only = false;
        bool foreground = false;
    };
    auto flags = std::make_shared<Flags>();
    cmd->add_option("-c,--config", flags->config, "Config file")->required();
    cmd->add_flag("--read-only", flags->read_only, "The support view (the only kind of mount)");
    cmd->add_flag("-f,--foreground", flags->foreground, "Stay in the foreground");
    cmd->add_option("MOUNTPOINT", flags->mountpoint, "Where to mount")->required();
    cmd->callback([flags] {
        if (!flags->read_only)
            throw UserError(
                "mount needs --read-only (the write-enabled store runs as `dropgate store`)");
        config::Config config = config::load(flags->config);
        fs::MountSettings settings;
        settings.read_only = true;
        settings.foreground = flags->foreground;
        // Resolved now: a daemon changes its directory to / before a relative path is used.
        settings.mountpoint = std::filesystem::absolute(flags->mountpoint);
        std::error_code error;  // ENOTCONN: a dead mount of a killed view, which run() removes
        if (!std::filesystem::is_directory(settings.mountpoint, error) &&
            error != std::errc::not_connected)
            throw UserError("mountpoint " + settings.mountpoint.string() + " is not a directory");
        if (!std::filesystem::is_directory(contract::Layout(config.store.root).bundles()))
            throw UserError("no bundles at " +
                            contract::Layout(config.store.root).bundles().string() +
                            " (has the store run yet?)");
        if (int status = fs::run(config, settings); status != 0) throw ExitStatus(status);
    });
}

}  // namespace dropgate::cli
