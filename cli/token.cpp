// `dropgate token USER`: a new random API token, printed once, and the config line that stores
// its hash (the token itself is never stored).
#include <iostream>
#include <memory>
#include <string>

#include "command.hpp"
#include "dropgate/config/config.hpp"

namespace dropgate::cli {

void add_token(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "token", "Print a new HTTP API token for USER and the config line that stores its hash");
    auto user = std::make_shared<std::string>();
    cmd->add_option("user", *user, "The [[user]] name the token is for")->required();
    cmd->callback([user] {
        if (!config::is_safe_name(*user)) throw UserError("\"" + *user + "\" is not a user name");
        auto token = config::new_token();
        std::cout << token.token << "\n";
        std::cerr << "# Shown once. Add its hash to [[user]] name = \"" << *user
                  << "\" in the config (keep the ones already there):\n"
                  << "tokens = [\"" << token.hash << "\"]\n"
                  << "# then: curl -H 'Authorization: Bearer " << token.token << "' ...\n";
    });
}

}  // namespace dropgate::cli
