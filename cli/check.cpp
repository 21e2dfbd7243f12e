#include "command.hpp"

namespace dropgate::cli {

void add_check(CLI::App& app) {
    auto* cmd = app.add_subcommand("check", "Load, validate and print a config");
    cmd->allow_extras();
    cmd->callback([] { throw std::runtime_error("'check' is not implemented yet"); });
}

}  // namespace dropgate::cli
