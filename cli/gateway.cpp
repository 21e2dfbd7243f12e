// `dropgate gateway -c CONFIG`: the SFTP gateway alone, in the foreground (docs/gateway.md).
#include <memory>
#include <string>

#include "command.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/gateway/gateway.hpp"

namespace dropgate::cli {

void add_gateway(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "gateway", "Run the SFTP gateway in the foreground (SIGTERM: drain and exit)");
    struct Flags {
        std::string config;
        std::string log_level;
    };
    auto flags = std::make_shared<Flags>();
    cmd->add_option("-c,--config", flags->config, "Config file")->required();
    add_log_level_option(cmd, flags->log_level);
    cmd->callback([flags] {
        apply_log_level(flags->log_level);
        const config::Config config = config::load(flags->config);
        if (int code = gateway::run(config); code != 0) throw ExitStatus(code);
    });
}

}  // namespace dropgate::cli
