// The frame of the commands that run one part of the service in the foreground (gateway,
// http): the same flags, the same config loading, the same exit status.
#include <memory>
#include <string>

#include "command.hpp"

namespace dropgate::cli {

void add_part_command(CLI::App& app, const char* name, const char* description,
                      std::function<int(const config::Config&)> run) {
    auto* cmd = app.add_subcommand(name, description);
    struct Flags {
        std::string config;
        std::string log_level;
    };
    auto flags = std::make_shared<Flags>();
    cmd->add_option("-c,--config", flags->config, "Config file")->required();
    add_log_level_option(cmd, flags->log_level);
    cmd->callback([flags, run] {
        apply_log_level(flags->log_level);
        const config::Config config = config::load(flags->config);
        if (int code = run(config); code != 0) throw ExitStatus(code);
    });
}

}  // namespace dropgate::cli
