#include "command.hpp"

namespace dropgate::cli {

void add_init(CLI::App& app) {
    auto* cmd = app.add_subcommand("init", "Write a working example setup into DIR");
    cmd->allow_extras();
    cmd->callback([] { throw std::runtime_error("'init' is not implemented yet"); });
}

}  // namespace dropgate::cli
