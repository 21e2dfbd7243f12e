#include "command.hpp"

namespace dropgate::cli {

void add_validate(CLI::App& app) {
    auto* cmd = app.add_subcommand("validate", "Run the store's validator offline on local files");
    cmd->allow_extras();
    cmd->callback([] { throw std::runtime_error("'validate' is not implemented yet"); });
}

}  // namespace dropgate::cli
