// The CLI frame: each subcommand lives in its own file and registers itself on the app.
// Subcommands are thin: they parse flags, call into a part, and print.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <stdexcept>

#include "dropgate/config/config.hpp"

namespace dropgate::cli {

// A mistake by the person running the command (bad flag value, bad config, missing file):
// printed as one line "dropgate: <message>", exit status 1. Anything else exits 2.
class UserError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Exit status a subcommand asks for without an error (e.g. `validate` with a refused file).
class ExitStatus : public std::exception {
  public:
    explicit ExitStatus(int code) : code_(code) {}
    int code() const { return code_; }
    const char* what() const noexcept override { return "exit"; }

  private:
    int code_;
};

// --log-level for the long-running subcommands (serve, store, gateway). Left unset, a process
// keeps the level it inherited (DROPGATE_LOG_LEVEL from `serve --log-level`) or info.
inline CLI::Option* add_log_level_option(CLI::App* cmd, std::string& level) {
    return cmd->add_option("--log-level", level, "debug, info, warn or error (default: info)");
}
// Applies a --log-level value; empty means unset. A bad name is a user error.
void apply_log_level(const std::string& level);

// `dropgate NAME -c CONFIG [--log-level L]`: one long-running part of the service in the
// foreground; `run` gets the loaded config and returns the exit status.
void add_part_command(CLI::App& app, const char* name, const char* description,
                      std::function<int(const config::Config&)> run);

void add_init(CLI::App& app);
void add_passwd(CLI::App& app);
void add_check(CLI::App& app);
void add_validate(CLI::App& app);
void add_query(CLI::App& app);
void add_verify(CLI::App& app);
void add_store(CLI::App& app);
void add_mount(CLI::App& app);
void add_gateway(CLI::App& app);
void add_http(CLI::App& app);
void add_replicate(CLI::App& app);
void add_ls(CLI::App& app);
void add_cat(CLI::App& app);
void add_grep(CLI::App& app);
void add_reindex(CLI::App& app);
void add_token(CLI::App& app);
void add_serve(CLI::App& app);
void add_unban(CLI::App& app);
// `query bans` (bans.cpp).
void run_query_bans(const std::string& config_file, bool json, bool all);

}  // namespace dropgate::cli
