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
    auto config_file = std::make_shared<std::string>();
    cmd->add_option("-c,--config", *config_file, "Config file")->required();
    cmd->callback([config_file] {
        const config::Config config = config::load(*config_file);
        if (int code = gateway::run(config); code != 0) throw ExitStatus(code);
    });
}

}  // namespace dropgate::cli
