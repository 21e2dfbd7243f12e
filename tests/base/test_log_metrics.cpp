// The JSON log line format and the shared metrics counters, as operators consume them.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "dropgate/base/log.hpp"
#include "dropgate/base/metrics.hpp"

namespace {

// Metrics as a part defines them: namespace-scope objects, registered before main.
const dropgate::metrics::Counter uploads_ok("test_uploads_total", "Uploads.", "status=\"ok\"");
const dropgate::metrics::Counter uploads_bad("test_uploads_total", "Uploads.", "status=\"bad\"");
const dropgate::metrics::Gauge active("test_active", "Active things.");
const dropgate::metrics::Histogram latency("test_latency_seconds", "Latency.", {0.005, 0.025});

}  // namespace

TEST_CASE("metrics counted in forked children show up in the parent's /metrics text") {
    dropgate::metrics::init();
    for (int i = 0; i < 3; ++i) {
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            uploads_ok.add(1000);
            latency.observe(0.004);
            uploads_bad.add();
            latency.observe(0.02);
            _exit(0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
    }
    active.add(1);
    std::string text = dropgate::metrics::render_prometheus();
    CHECK_THAT(text, Catch::Contains("# HELP test_uploads_total Uploads.\n# TYPE test_uploads_total "
                                     "counter\ntest_uploads_total{status=\"ok\"} 3000\n"
                                     "test_uploads_total{status=\"bad\"} 3\n"));
    CHECK_THAT(text, Catch::Contains("test_active 1\n"));
    CHECK_THAT(text, Catch::Contains("test_latency_seconds_bucket{le=\"0.005\"} 3\n"));
    CHECK_THAT(text, Catch::Contains("test_latency_seconds_bucket{le=\"0.025\"} 6\n"));
    CHECK_THAT(text, Catch::Contains("test_latency_seconds_bucket{le=\"+Inf\"} 6\n"));
    CHECK_THAT(text, Catch::Contains("test_latency_seconds_count 6\n"));
    CHECK_THAT(text, Catch::Contains("# TYPE test_latency_seconds histogram\n"));
    active.add(-1);
    CHECK(active.value() == 0);
}

TEST_CASE("a log event is one JSON object on one line with ts, level, event and the fields") {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(pipe_fds[1], 2);
        dropgate::log::info("upload_rejected", {{"customer", "acme"},
                                                {"path", "bad\xff.tgz"},
                                                {"reason", "gzip CRC mismatch in member 1"}});
        dropgate::log::debug("hidden_by_default");
        _exit(0);
    }
    close(pipe_fds[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = read(pipe_fds[0], buf, sizeof buf)) > 0;)
        out.append(buf, static_cast<size_t>(n));
    close(pipe_fds[0]);
    waitpid(pid, nullptr, 0);
    REQUIRE(std::count(out.begin(), out.end(), '\n') == 1);
    auto line = nlohmann::json::parse(out);
    CHECK(line["level"] == "info");
    CHECK(line["event"] == "upload_rejected");
    CHECK(line["customer"] == "acme");
    CHECK(line["reason"] == "gzip CRC mismatch in member 1");
    CHECK(line["ts"].get<std::string>().size() == 24);
}

TEST_CASE("log levels parse by name and reject anything else") {
    CHECK(dropgate::log::parse_level("warn") == dropgate::log::Level::warn);
    CHECK_THROWS_WITH(dropgate::log::parse_level("loud"), Catch::Contains("unknown log level"));
}
