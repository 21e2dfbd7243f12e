// The JSON log line format and the shared metrics counters, as operators consume them.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "dropgate/log.hpp"
#include "dropgate/metrics.hpp"

TEST_CASE("metrics counted in forked children show up in the parent's /metrics text") {
    dropgate::metrics::init();
    for (int i = 0; i < 3; ++i) {
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            dropgate::metrics::upload_finished("accepted", 1000);
            dropgate::metrics::verdict_latency(0.004);
            dropgate::metrics::upload_finished("rejected", 10);
            dropgate::metrics::verdict_latency(0.02);
            dropgate::metrics::auth_failure();
            _exit(0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
    }
    dropgate::metrics::session_opened();
    std::string text = dropgate::metrics::render_prometheus();
    CHECK_THAT(text, Catch::Contains("dropgate_uploads_total{status=\"accepted\"} 3\n"));
    CHECK_THAT(text, Catch::Contains("dropgate_uploads_total{status=\"rejected\"} 3\n"));
    CHECK_THAT(text, Catch::Contains("dropgate_uploads_total{status=\"aborted\"} 0\n"));
    CHECK_THAT(text, Catch::Contains("dropgate_upload_bytes_total{status=\"accepted\"} 3000\n"));
    CHECK_THAT(text, Catch::Contains("dropgate_auth_failures_total 3\n"));
    CHECK_THAT(text, Catch::Contains("dropgate_active_sessions 1\n"));
    CHECK_THAT(text, Catch::Contains("dropgate_validation_seconds_bucket{le=\"0.005\"} 3\n"));
    CHECK_THAT(text, Catch::Contains("dropgate_validation_seconds_bucket{le=\"0.025\"} 6\n"));
    CHECK_THAT(text, Catch::Contains("dropgate_validation_seconds_count 6\n"));
    CHECK_THAT(text, Catch::Contains("# TYPE dropgate_validation_seconds histogram\n"));
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
