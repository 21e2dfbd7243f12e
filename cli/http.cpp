// `dropgate http -c CONFIG`: the HTTPS front end alone, in the foreground (docs/http.md).
#include "dropgate/http/http.hpp"
#include "command.hpp"

namespace dropgate::cli {

void add_http(CLI::App& app) {
    add_part_command(app, "http",
                     "Run the HTTPS front end in the foreground (SIGTERM: drain and exit)",
                     [](const config::Config& config) {
                         if (!config.http)
                             throw UserError(config.source.string() + ": no [http] section");
                         return http::run(config);
                     });
}

}  // namespace dropgate::cli
