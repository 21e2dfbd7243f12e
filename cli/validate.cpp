// `dropgate validate [-c CONFIG] FILE…`: the store's validator run offline on local files.
// One line per file, "OK <sha256> <n> members" or "REJECTED <reason>" (prefixed "FILE: " when
// there are several); exit 0 only if every file passes.
#include <cstdio>
#include <system_error>

#include "command.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/contract/names.hpp"
#include "dropgate/validator/validator.hpp"

namespace dropgate::cli {

void add_validate(CLI::App& app) {
    struct Options {
        std::string config;
        std::vector<std::string> files;
    };
    auto options = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("validate", "Run the store's validator offline on local files");
    cmd->add_option("-c,--config", options->config,
                    "Config whose [store] limits and accept patterns apply (default: built-in)");
    cmd->add_option("files", options->files, "Bundles to check")->required();
    cmd->callback([options] {
        config::Store store;  // defaults: *.tgz, *.tar.gz and the §3 limits
        if (!options->config.empty()) store = config::load(options->config).store;
        const validator::Limits limits = validator::Limits::from(store);
        const contract::NamePolicy names(store);
        const bool several = options->files.size() > 1;
        bool all_ok = true;
        for (const auto& file : options->files) {
            std::string prefix = several ? file + ": " : "";
            std::string name = std::filesystem::path(file).filename().string();
            std::string line;
            if (names.classify(name) == contract::NameKind::refused) {
                line = "REJECTED " + names.refusal(name);
            } else {
                try {
                    auto verdict = validator::validate_file(file, limits);
                    line = verdict.accepted ? "OK " + verdict.sha256 + " " +
                                                  std::to_string(verdict.member_count) + " members"
                                            : "REJECTED " + verdict.reason;
                } catch (const std::system_error& e) {
                    // Not a verdict: the file could not be read at all.
                    std::fflush(stdout);
                    std::fprintf(stderr, "dropgate: %s\n", e.what());
                    all_ok = false;
                    continue;
                }
            }
            all_ok &= line.starts_with("OK ");
            std::printf("%s%s\n", prefix.c_str(), line.c_str());
        }
        std::fflush(stdout);
        if (!all_ok) throw ExitStatus(1);
    });
}

}  // namespace dropgate::cli
