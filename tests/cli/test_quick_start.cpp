// The README's quick start, typed as a new user types it: `dropgate init demo`, the service on
// the demo config, then the README's own command block run by a non-interactive bash (nothing
// can answer a host-key prompt). Only the port is changed, so parallel tests do not collide.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <regex>
#include <thread>

#include "harness.hpp"

using namespace dropgate::test;
using namespace std::chrono_literals;

namespace {

// The first ```sh block after "In a second terminal:" in README.md.
std::string readme_commands() {
    std::string readme = read_file(tests_dir().parent_path() / "README.md");
    auto at = readme.find("In a second terminal:");
    REQUIRE(at != std::string::npos);
    auto begin = readme.find("```sh\n", at);
    REQUIRE(begin != std::string::npos);
    begin += 6;
    return readme.substr(begin, readme.find("```", begin) - begin);
}

}  // namespace

TEST_CASE("the README's quick start works as typed in a non-interactive shell") {
    TempDir dir;
    REQUIRE(sh("cp -r '" + tests_dir().parent_path().string() + "/README.md' '" +
               tests_dir().parent_path().string() + "/docs' '" + dir.path().string() + "/'")
                .exit_code == 0);
    REQUIRE(run({dropgate_bin(), "init", (dir / "demo").string()}).exit_code == 0);
    const std::string port = std::to_string(free_port()), metrics = std::to_string(free_port()),
                      https = std::to_string(free_port());
    REQUIRE(sh("cd '" + dir.path().string() + "' && sed -i -e 's/:2222/:" + port +
               "/' -e 's/:9464/:" + metrics + "/' -e 's/:8443/:" + https +
               "/' demo/dropgate.toml demo/known_hosts")
                .exit_code == 0);

    pid_t serve = ::fork();
    REQUIRE(serve >= 0);
    if (serve == 0) {
        std::string log = (dir / "serve.log").string();
        std::freopen(log.c_str(), "w", stderr);
        ::execl(dropgate_bin().c_str(), "dropgate", "serve", "-c",
                (dir / "demo/dropgate.toml").c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    bool ready = false;
    for (int i = 0; i < 300 && !ready; ++i) {
        std::this_thread::sleep_for(100ms);
        ready = read_file(dir / "serve.log").find("\"service_ready\"") != std::string::npos;
    }
    INFO(read_file(dir / "serve.log"));
    REQUIRE(ready);

    std::string commands = readme_commands();
    commands = std::regex_replace(commands, std::regex("-P 2222"), "-P " + port);
    commands = std::regex_replace(commands, std::regex("localhost:8443"), "localhost:" + https);
    commands = std::regex_replace(commands, std::regex("build/cli/dropgate"), dropgate_bin());
    auto typed = run({"bash", "-c", "cd '" + dir.path().string() + "' && set -x\n" + commands});
    ::kill(serve, SIGTERM);
    wait_for_exit(serve, 30s);
    INFO(commands << "\n--- stdout\n" << typed.out << "\n--- stderr\n" << typed.err);
    CHECK(typed.exit_code == 0);
    CHECK(typed.err.find("Host key verification failed") == std::string::npos);
    CHECK_THAT(typed.err, Catch::Contains("dropgate: /bad.tgz refused: not gzip"));
    CHECK_THAT(typed.out, Catch::Contains("hello.tgz") && Catch::Contains("accepted"));
    CHECK_THAT(typed.out, Catch::Contains("docs/customer.md"));  // query members hello.tgz
    CHECK_THAT(typed.out, Catch::Contains("\"path\":\"web/hello.tgz\""));  // curl over HTTPS
}
