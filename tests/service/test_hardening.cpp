// The systemd unit's hardening (packaging/dropgate.service): its `systemd-analyze security`
// exposure does not regress, and the service works under exactly the unit's capability bounding
// set and no_new_privs (what systemd would apply; this machine has no systemd as PID 1, so the
// unit itself cannot be started here).
#include <catch2/catch.hpp>
#include <sstream>

#include "service_fixture.hpp"

using namespace dropgate::test;

namespace {

// docs/operations.md states it: 6.3 before the issue-18 hardening, 4.4 after.
constexpr double kExposure = 4.4;

std::filesystem::path unit_file() {
    return tests_dir().parent_path() / "packaging" / "dropgate.service";
}

// The words after "Key=" on the unit's line for `key`.
std::vector<std::string> unit_setting(const std::string& key) {
    std::istringstream lines(read_file(unit_file()));
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(key + "=", 0) != 0) continue;
        std::istringstream words(line.substr(key.size() + 1));
        std::vector<std::string> values;
        for (std::string word; words >> word;) values.push_back(word);
        return values;
    }
    return {};
}

// "CAP_SYS_ADMIN" -> "+sys_admin" for setpriv.
std::string setpriv_caps(const std::vector<std::string>& caps) {
    std::string list = "-all";
    for (auto cap : caps) {
        for (auto& c : cap) c = char(std::tolower(static_cast<unsigned char>(c)));
        list += ",+" + cap.substr(4);
    }
    return list;
}

std::string status_line(pid_t pid, const std::string& key) {
    std::istringstream lines(read_file("/proc/" + std::to_string(pid) + "/status"));
    for (std::string line; std::getline(lines, line);)
        if (line.rfind(key + ":", 0) == 0) return line.substr(key.size() + 1);
    return "";
}

}  // namespace

TEST_CASE("systemd-analyze security rates the unit no worse than docs/operations.md says") {
    auto analysis =
        run({"systemd-analyze", "security", "--offline=yes", "--no-pager", unit_file().string()});
    INFO(analysis.out << analysis.err);
    const std::string marker = "Overall exposure level for dropgate.service: ";
    auto at = analysis.out.find(marker);
    REQUIRE(at != std::string::npos);
    const double exposure = std::stod(analysis.out.substr(at + marker.size()));
    CHECK(exposure <= kExposure);
    // And nothing that would give the service a mount namespace of its own, in which the store
    // mount would be invisible to the host.
    for (const char* key :
         {"PrivateTmp", "ProtectSystem", "ProtectHome", "PrivateDevices", "PrivateMounts",
          "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
          "ProtectControlGroups", "ProtectProc", "ProcSubset", "ReadWritePaths", "ReadOnlyPaths",
          "InaccessiblePaths", "TemporaryFileSystem", "BindPaths", "RootDirectory", "MountFlags"}) {
        INFO(key);
        CHECK(unit_setting(key).empty());
    }
}

TEST_CASE("the service uploads and serves bundles under the unit's capability bounding set") {
    const auto caps = unit_setting("CapabilityBoundingSet");
    REQUIRE_FALSE(caps.empty());
    Service::Options options;
    options.http = true;
    Service service(options);
    service.launch_through(
        {"setpriv", "--no-new-privs", "--bounding-set", setpriv_caps(caps), "--"});
    service.start();
    // The parts really run with that set: CAP_KILL (bit 5) and CAP_CHOWN (bit 0) are gone.
    const auto bounding =
        std::stoull(status_line(service.part_pid("store_pid"), "CapBnd"), nullptr, 16);
    CHECK((bounding & (1ull << 5)) == 0);
    CHECK((bounding & 1ull) == 0);
    CHECK((bounding & (1ull << 21)) != 0);  // CAP_SYS_ADMIN: the FUSE mount
    CHECK(status_line(service.part_pid("gateway_pid"), "NoNewPrivs").find('1') !=
          std::string::npos);

    const auto& dir = service.dir();
    const std::string sha = make_bundle(dir / "a.tgz", 300'000);
    auto put = service.sftp("acme", "put " + (dir / "a.tgz").string() + " a.tgz\n");
    INFO(put.err << service.log());
    CHECK(put.exit_code == 0);
    auto curl =
        sh("curl -sS --cacert '" + service.http_cert().string() +
           "' -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer " + service.token("acme") +
           "' -T '" + (dir / "a.tgz").string() + "' " + service.http_url() + "/upload/b.tgz");
    CHECK(curl.out == "201");
    auto get = service.sftp("help", "get acme/a.tgz " + (dir / "back.tgz").string() + "\n");
    CHECK(get.exit_code == 0);
    CHECK(sha256_of(dir / "back.tgz") == sha);
    // A restart-worthy stop still unmounts and exits cleanly.
    CHECK(service.stop() == 0);
}
