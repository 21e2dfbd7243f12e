#include "command.hpp"

namespace dropgate::cli {

void add_serve(CLI::App& app) {
    auto* cmd = app.add_subcommand("serve", "Run the whole service: store and gateway");
    cmd->allow_extras();
    cmd->callback([] { throw std::runtime_error("'serve' is not implemented yet"); });
}

}  // namespace dropgate::cli
