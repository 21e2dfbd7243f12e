#include "guard_helpers.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <thread>

#include "dropgate/base/time.hpp"

namespace dropgate::test {

RunResult sftp_from(const Service& service, const std::string& source, const std::string& user,
                    const std::filesystem::path& key) {
    return service.sftp_with(user, key, "ls\n",
                             "-o BindAddress=" + source + " -o IdentitiesOnly=yes");
}

int https_status_from(const Service& service, const std::string& source, const std::string& path,
                      const std::string& token) {
    auto ran = sh("curl -s --max-time 20 --cacert '" + service.http_cert().string() +
                  "' --interface " + source + " -H 'Authorization: Bearer " +
                  (token.empty() ? service.token("acme") : token) +
                  "' -o /dev/null -w '%{http_code}' " + service.http_url() + path);
    return std::atoi(ran.out.c_str());
}

std::vector<nlohmann::json> query_bans(const Service& service, bool all) {
    std::vector<std::string> args{"bans", "--json"};
    if (all) args.push_back("--all");
    auto ran = service.query(args);
    INFO(ran.err);
    REQUIRE(ran.exit_code == 0);
    std::vector<nlohmann::json> rows;
    std::istringstream lines(ran.out);
    for (std::string line; std::getline(lines, line);) rows.push_back(nlohmann::json::parse(line));
    return rows;
}

long seconds_between(const std::string& from, const std::string& to) {
    return std::chrono::duration_cast<std::chrono::seconds>(parse_timestamp(to) -
                                                            parse_timestamp(from))
        .count();
}

HeldConnections::HeldConnections(const Service& service, int port,
                                 const std::vector<std::string>& sources) {
    const auto out = service.dir() / ("held-" + std::to_string(port) + ".json");
    std::filesystem::remove(out);
    std::string command = "/usr/bin/python3 '" + (tests_dir() / "guard/connections.py").string() +
                          "' 127.0.0.1 " + std::to_string(port) + " 1.5 600";
    for (const auto& source : sources) command += " " + source;
    auto started = sh(command + " > '" + out.string() + "' 2>&1 & echo $!");
    pid_ = std::atoi(started.out.c_str());
    for (int i = 0; i < 300 && states_.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::error_code ec;
        if (std::filesystem::file_size(out, ec) == 0 || ec) continue;
        auto text = read_file(out);
        if (text.find('\n') == std::string::npos) continue;
        INFO(text);
        states_ =
            nlohmann::json::parse(text.substr(0, text.find('\n'))).get<std::vector<std::string>>();
    }
    REQUIRE(states_.size() == sources.size());
}

HeldConnections::~HeldConnections() {
    close();
}

void HeldConnections::close() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    pid_ = -1;
}

std::size_t HeldConnections::held() const {
    return std::size_t(std::count(states_.begin(), states_.end(), "held"));
}

}  // namespace dropgate::test
