#include "command.hpp"

namespace dropgate::cli {

void add_passwd(CLI::App& app) {
    auto* cmd = app.add_subcommand("passwd", "Read a password and print its SHA-512 crypt hash");
    cmd->allow_extras();
    cmd->callback([] { throw std::runtime_error("'passwd' is not implemented yet"); });
}

}  // namespace dropgate::cli
