// `dropgate query bans` and `dropgate unban ADDRESS`: the bans both doors impose after failed
// logins (guard/bans.hpp), read from and lifted in the index.
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "dropgate/base/address.hpp"
#include "dropgate/base/time.hpp"
#include "dropgate/index/bans.hpp"
#include "table.hpp"

namespace dropgate::cli {

namespace {

index::Bans open_bans(const std::string& config_file, bool read_only) {
    auto config = config::load(config_file);
    try {
        return index::Bans::open(config.index.database, read_only);
    } catch (const index::IndexError& e) {
        throw UserError(e.what());
    }
}

}  // namespace

void run_query_bans(const std::string& config_file, bool json, bool all) {
    index::Bans bans = open_bans(config_file, /*read_only=*/true);
    const auto now = index::Clock::now();
    auto rows = all ? bans.all() : bans.active(now);
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.banned_at > b.banned_at; });
    if (json) {
        for (const auto& ban : rows)
            std::printf("%s\n", nlohmann::json{{"address", ban.address},
                                               {"door", ban.door},
                                               {"user", ban.user},
                                               {"failures", ban.failures},
                                               {"repeats", ban.repeats},
                                               {"banned_at", format_timestamp(ban.banned_at)},
                                               {"banned_until", format_timestamp(ban.banned_until)},
                                               {"active", ban.banned_until > now},
                                               {"reason", ban.reason}}
                                    .dump()
                                    .c_str());
        return;
    }
    Table table({"ADDRESS", "DOOR", "USER", "FAILURES", "REPEATS", "BANNED_AT", "UNTIL", "REASON"},
                {false, false, false, true, true, false, false, false});
    for (const auto& ban : rows)
        table.add({ban.address, ban.door, ban.user, std::to_string(ban.failures),
                   std::to_string(ban.repeats), format_timestamp_seconds(ban.banned_at),
                   format_timestamp_seconds(ban.banned_until) +
                       (ban.banned_until > now ? "" : " (ended)"),
                   ban.reason});
    table.print();
}

void add_unban(CLI::App& app) {
    auto config = std::make_shared<std::string>();
    auto address = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(
        "unban", "Lift the ban of an address (both doors let it in within a second)");
    cmd->add_option("-c,--config", *config, "Config file")->required();
    cmd->add_option("ADDRESS", *address, "The banned address, e.g. 203.0.113.7")->required();
    cmd->callback([config, address] {
        auto parsed = IpAddress::parse(*address);
        if (!parsed) throw UserError("not an IP address: " + *address);
        index::Bans bans = open_bans(*config, /*read_only=*/false);
        if (!bans.lift(parsed->to_string()))
            throw UserError(parsed->to_string() + " is not banned");
        std::printf("unbanned %s\n", parsed->to_string().c_str());
    });
}

}  // namespace dropgate::cli
