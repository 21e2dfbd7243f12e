// `dropgate replicate -c CONFIG`: the object storage worker alone, in the foreground
// (docs/operations.md "Replication").
#include "dropgate/replicate/replicate.hpp"
#include "command.hpp"

namespace dropgate::cli {

void add_replicate(CLI::App& app) {
    add_part_command(app, "replicate",
                     "Run the replication worker in the foreground (SIGTERM: stop; unfinished "
                     "transfers are redone on the next start)",
                     [](const config::Config& config) {
                         if (!config.replicate)
                             throw UserError(config.source.string() + ": no [replicate] section");
                         return replicate::run(config);
                     });
}

}  // namespace dropgate::cli
