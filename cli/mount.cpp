#include "command.hpp"

namespace dropgate::cli {

void add_mount(CLI::App& app) {
    auto* cmd = app.add_subcommand("mount", "Mount the read-only support view of the store");
    cmd->allow_extras();
    cmd->callback([] { throw std::runtime_error("'mount' is not implemented yet"); });
}

}  // namespace dropgate::cli
