// `dropgate gateway -c CONFIG`: the SFTP gateway alone, in the foreground (docs/gateway.md).
#include "dropgate/gateway/gateway.hpp"
#include "command.hpp"

namespace dropgate::cli {

void add_gateway(CLI::App& app) {
    add_part_command(app, "gateway",
                     "Run the SFTP gateway in the foreground (SIGTERM: drain and exit)",
                     [](const config::Config& config) { return gateway::run(config); });
}

}  // namespace dropgate::cli
