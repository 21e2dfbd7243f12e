#include "command.hpp"

namespace dropgate::cli {

void add_verify(CLI::App& app) {
    auto* cmd = app.add_subcommand("verify", "Check that the store and the index agree");
    cmd->allow_extras();
    cmd->callback([] { throw std::runtime_error("'verify' is not implemented yet"); });
}

}  // namespace dropgate::cli
