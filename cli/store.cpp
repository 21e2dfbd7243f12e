#include "command.hpp"

namespace dropgate::cli {

void add_store(CLI::App& app) {
    auto* cmd = app.add_subcommand("store", "Run the write-enabled FUSE store in the foreground");
    cmd->allow_extras();
    cmd->callback([] { throw std::runtime_error("'store' is not implemented yet"); });
}

}  // namespace dropgate::cli
