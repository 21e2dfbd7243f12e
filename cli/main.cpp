// dropgate: one binary, one subcommand per job. Exit 0 success, 1 user error, 2 internal error.
#include <cstdio>
#include <exception>

#include "command.hpp"
#include "dropgate/base/log.hpp"
#include "dropgate/config/config.hpp"

void dropgate::cli::apply_log_level(const std::string& level) {
    if (level.empty()) return;
    try {
        log::set_level(log::parse_level(level));
    } catch (const std::invalid_argument& e) {
        throw UserError(e.what());
    }
}

int main(int argc, char** argv) {
    CLI::App app{"dropgate: an SFTP drop box that accepts only complete, valid .tgz bundles"};
    app.set_version_flag("--version", std::string("dropgate ") + DROPGATE_VERSION);
    app.require_subcommand(1);
    app.fallthrough(false);

    using namespace dropgate::cli;
    add_init(app);
    add_passwd(app);
    add_check(app);
    add_validate(app);
    add_query(app);
    add_verify(app);
    add_store(app);
    add_mount(app);
    add_gateway(app);
    add_http(app);
    add_replicate(app);
    add_ls(app);
    add_cat(app);
    add_grep(app);
    add_reindex(app);
    add_token(app);
    add_serve(app);
    add_unban(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help/--version exit 0; usage mistakes are user errors.
        int code = app.exit(e);
        return code == 0 ? 0 : 1;
    } catch (const ExitStatus& e) {
        return e.code();
    } catch (const UserError& e) {
        std::fprintf(stderr, "dropgate: %s\n", e.what());
        return 1;
    } catch (const dropgate::config::ConfigError& e) {
        std::fprintf(stderr, "dropgate: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dropgate: internal error: %s\n", e.what());
        return 2;
    }
    return 0;
}
