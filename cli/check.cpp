// `dropgate check -c CONFIG`: load, validate and print the resolved config.
#include <iostream>

#include "command.hpp"
#include "dropgate/config/config.hpp"

namespace dropgate::cli {

void add_check(CLI::App& app) {
    auto* cmd = app.add_subcommand("check", "Load and validate a config, then print it resolved");
    auto config_path = std::make_shared<std::string>();
    cmd->add_option("-c,--config", *config_path, "Config file")->required();
    cmd->callback([config_path] {
        config::Config config = config::load(*config_path);
        std::cout << config::render(config);
    });
}

}  // namespace dropgate::cli
