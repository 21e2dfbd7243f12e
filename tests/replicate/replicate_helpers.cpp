#include "replicate_helpers.hpp"

#include <sstream>

namespace dropgate::test {

std::optional<nlohmann::json> replica_of(const Service& service, const std::string& customer,
                                         const std::string& path) {
    auto r = service.query({"--json", "replication"});
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
        auto row = nlohmann::json::parse(line);
        if (row["customer"] == customer && row["path"] == path) return row;
    }
    return std::nullopt;
}

bool wait_location(const Service& service, const std::string& customer, const std::string& path,
                   const std::string& location, std::chrono::milliseconds timeout) {
    return wait_until(
        [&] {
            auto row = replica_of(service, customer, path);
            return row && (*row)["location"] == location;
        },
        timeout);
}

RunResult verify_remote(const Service& service, const std::vector<std::string>& flags) {
    std::vector<std::string> argv{dropgate_bin(), "verify", "-c", service.config_file().string(),
                                  "--remote"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return run(argv);
}

std::string metrics_get(const Service& service, const std::string& path) {
    return sh("curl -s http://127.0.0.1:" + std::to_string(service.metrics_port()) + path).out;
}

}  // namespace dropgate::test
