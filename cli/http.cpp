// `dropgate http -c CONFIG`: the HTTPS front end alone, in the foreground (docs/http.md).
#include <memory>
#include <string>

#include "command.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/http/http.hpp"

namespace dropgate::cli {

void add_http(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "http", "Run the HTTPS front end in the foreground (SIGTERM: drain and exit)");
    struct Flags {
        std::string config;
        std::string log_level;
    };
    auto flags = std::make_shared<Flags>();
    cmd->add_option("-c,--config", flags->config, "Config file")->required();
    add_log_level_option(cmd, flags->log_level);
    cmd->callback([flags] {
        apply_log_level(flags->log_level);
        const config::Config config = config::load(flags->config);
        if (!config.http) throw UserError(config.source.string() + ": no [http] section");
        if (int code = http::run(config); code != 0) throw ExitStatus(code);
    });
}

}  // namespace dropgate::cli
