// `dropgate serve -c CONFIG`: the whole service (store + gateway), supervised.
#include "command.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/service/service.hpp"

namespace dropgate::cli {

void add_serve(CLI::App& app) {
    auto* cmd =
        app.add_subcommand("serve", "Run the whole service: the store and the SFTP gateway");
    struct Flags {
        std::string config;
        std::string log_level;
        std::string grace = "30s";
    };
    auto flags = std::make_shared<Flags>();
    cmd->add_option("-c,--config", flags->config, "Config file")->required();
    add_log_level_option(cmd, flags->log_level);
    cmd->add_option("--grace-period", flags->grace,
                    "How long running transfers may take to finish after SIGTERM")
        ->capture_default_str();
    cmd->callback([flags] {
        service::ServeOptions options;
        apply_log_level(flags->log_level);
        try {
            options.grace_period = config::parse_duration(flags->grace);
        } catch (const std::invalid_argument& e) {
            throw UserError(e.what());
        }
        options.config_file = std::filesystem::absolute(flags->config);
        config::Config config = config::load(flags->config);
        if (int status = service::serve(config, options); status != 0) throw ExitStatus(status);
    });
}

}  // namespace dropgate::cli
