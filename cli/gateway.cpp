#include "command.hpp"

namespace dropgate::cli {

void add_gateway(CLI::App& app) {
    auto* cmd = app.add_subcommand("gateway", "Run the SFTP gateway");
    cmd->allow_extras();
    cmd->callback([] { throw std::runtime_error("'gateway' is not implemented yet"); });
}

}  // namespace dropgate::cli
