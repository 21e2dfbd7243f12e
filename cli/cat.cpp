// `dropgate cat -c CONFIG BUNDLE MEMBER`: one member's bytes on stdout, read through the
// bundle's seek index (built if missing) instead of extracting the bundle.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "bundle_ref.hpp"
#include "command.hpp"
#include "dropgate/inside/bundle_members.hpp"

namespace dropgate::cli {

namespace {

struct CatOptions {
    std::string config, bundle, member;
};

void write_out(std::span<const char> bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw ExitStatus(1);  // stdout closed (| head): stop quietly
        bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
}

void run_cat(const CatOptions& options) {
    auto config = config::load(options.config);
    auto index = read_only_index(config);
    const auto bundle = one_bundle(index, options.bundle);
    try {
        inside::BundleMembers members(config, index, bundle);
        members.read(members.file(options.member), write_out);
    } catch (const inside::MemberError& e) {
        throw UserError(e.what());
    } catch (const inside::SeekIndexError& e) {
        throw UserError(bundle.customer + "/" + bundle.path + ": " + e.what());
    }
}

}  // namespace

void add_cat(CLI::App& app) {
    auto options = std::make_shared<CatOptions>();
    auto* cmd = app.add_subcommand("cat", "Print one member of a bundle without extracting it");
    cmd->add_option("-c,--config", options->config, "Config file")->required();
    cmd->add_option("BUNDLE", options->bundle, "CUSTOMER/PATH, PATH or an upload id")->required();
    cmd->add_option("MEMBER", options->member, "The member's path as `dropgate ls` shows it")
        ->required();
    cmd->callback([options] { run_cat(*options); });
}

}  // namespace dropgate::cli
