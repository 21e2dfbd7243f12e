#include "command.hpp"

namespace dropgate::cli {

void add_query(CLI::App& app) {
    auto* cmd = app.add_subcommand("query", "Query the index (bundles, members, find, stats)");
    cmd->allow_extras();
    cmd->callback([] { throw std::runtime_error("'query' is not implemented yet"); });
}

}  // namespace dropgate::cli
