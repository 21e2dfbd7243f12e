// `dropgate ls -c CONFIG BUNDLE [GLOB]`: the members of one bundle, like `tar tvf`, from the
// index (nothing is inflated).
#include <fnmatch.h>

#include <cstdio>
#include <memory>

#include "bundle_ref.hpp"
#include "command.hpp"
#include "dropgate/index/index.hpp"

namespace dropgate::cli {

namespace {

struct LsOptions {
    std::string config, bundle, glob;
};

void run_ls(const LsOptions& options) {
    auto config = config::load(options.config);
    auto index = read_only_index(config);
    const auto bundle = one_bundle(index, options.bundle);
    index.members(bundle.id, [&](const validator::Member& m) {
        if (!options.glob.empty() && ::fnmatch(options.glob.c_str(), m.path.c_str(), 0) != 0)
            return;
        std::printf("%c %04o %12llu %s%s%s\n", m.type, m.mode,
                    static_cast<unsigned long long>(m.size), m.path.c_str(),
                    m.linkname.empty() ? "" : (m.type == '1' ? " link to " : " -> "),
                    m.linkname.c_str());
    });
}

}  // namespace

void add_ls(CLI::App& app) {
    auto options = std::make_shared<LsOptions>();
    auto* cmd = app.add_subcommand("ls", "List the members of one bundle (type, mode, size, path)");
    cmd->add_option("-c,--config", options->config, "Config file")->required();
    cmd->add_option("BUNDLE", options->bundle, "CUSTOMER/PATH, PATH or an upload id")->required();
    cmd->add_option("GLOB", options->glob, "Only members matching this shell pattern");
    cmd->callback([options] { run_ls(*options); });
}

}  // namespace dropgate::cli
