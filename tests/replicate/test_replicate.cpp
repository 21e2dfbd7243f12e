// Replication to a real S3 API server on loopback (spec §12): what lands there, crashes and
// outages on the way, and wrong credentials.
#include <signal.h>

#include <catch2/catch.hpp>

#include "replicate_helpers.hpp"
#include "s3_server.hpp"

using namespace dropgate::test;
using namespace std::chrono_literals;

namespace {

Service::Options replicating(const S3Server& s3, const TempDir& dir,
                             const std::string& extra = "") {
    write_credentials(dir / "s3.toml");
    Service::Options options;
    options.extra_sections = s3.replicate_section(dir / "s3.toml", extra);
    return options;
}

std::string sha_of_object(const S3Server& s3, const std::string& key) {
    auto file = s3.object_file(key);
    return file ? sha256_of(*file) : "";
}

}  // namespace

TEST_CASE("accepted bundles become objects with identical bytes, refused ones never do") {
    S3Server s3;
    TempDir scratch;
    Service service(replicating(s3, scratch));
    service.start();
    const std::string small_sha = make_bundle(scratch / "small.tgz", 200 << 10);
    // make_bundle's data compresses to about half: ~30 MB, 4 parts of 8 MiB.
    const std::string big_sha = make_bundle(scratch / "big.tgz", 60 << 20);
    write_file(scratch / "bad.tgz", std::string(100000, 'x'));
    REQUIRE(service.scp_upload("acme", scratch / "small.tgz", "small.tgz").exit_code == 0);
    REQUIRE(service
                .sftp("other",
                      "mkdir host1\nput " + (scratch / "big.tgz").string() + " host1/big.tgz\n")
                .exit_code == 0);
    REQUIRE(service.scp_upload("acme", scratch / "bad.tgz", "bad.tgz").exit_code != 0);

    REQUIRE(wait_location(service, "acme", "small.tgz", "local+remote"));
    REQUIRE(wait_location(service, "other", "host1/big.tgz", "local+remote"));
    CHECK(sha_of_object(s3, "site1/acme/small.tgz") == small_sha);
    CHECK(sha_of_object(s3, "site1/other/host1/big.tgz") == big_sha);
    // The bundle's own SHA-256 travels as metadata (a multipart ETag is not a hash of the bytes).
    CHECK_THAT(s3.metadata("site1/other/host1/big.tgz"), Catch::Contains(big_sha));
    CHECK_FALSE(s3.object_file("site1/acme/bad.tgz"));
    auto row = replica_of(service, "other", "host1/big.tgz");
    CHECK((*row)["key"] == "site1/other/host1/big.tgz");
    CHECK((*row)["tries"] == 1);
    CHECK_FALSE((*row)["etag"].get<std::string>().empty());

    CHECK(wait_until([&] {  // counted just after the row is written
        return metrics_get(service, "/metrics").find("dropgate_replication_bundles_total 2\n") !=
               std::string::npos;
    }));
    CHECK(wait_until([&] {  // the gauges follow the index once a second
        return metrics_get(service, "/metrics").find("dropgate_replication_queue_depth 0\n") !=
               std::string::npos;
    }));
    CHECK(metrics_get(service, "/healthz") == "ok\n");
    CHECK(verify_remote(service).exit_code == 0);

    // An object rewritten behind our back with other bytes of the same size and metadata: only
    // reading it back shows it.
    sh("printf 'X' | dd of='" + s3.object_file("site1/acme/small.tgz")->string() +
       "' bs=1 seek=100 conv=notrunc 2>/dev/null");
    CHECK(verify_remote(service).exit_code == 0);
    auto found = verify_remote(service, {"--deep"});
    CHECK(found.exit_code == 1);
    CHECK_THAT(found.out, Catch::Contains("acme/small.tgz: site1/acme/small.tgz's bytes hash to"));
    CHECK(service.stop() == 0);
}

TEST_CASE(
    "kill -9 of the worker mid-multipart, then of the whole service: each bundle ends up "
    "replicated once and intact") {
    S3Server s3;
    TempDir scratch;
    // Capped, so each transfer takes seconds and the kills land mid-multipart.
    Service service(replicating(s3, scratch, "rate = \"4MB/s\"\nconcurrency = 1\n"));
    service.start();
    const std::string sha = make_bundle(scratch / "big.tgz", 40 << 20);
    REQUIRE(service.scp_upload("acme", scratch / "big.tgz", "big.tgz").exit_code == 0);
    // Mid-multipart: the row names the multipart upload in progress.
    REQUIRE(wait_until([&] {
        auto row = replica_of(service, "acme", "big.tgz");
        return row && (*row)["state"] == "queued" && (*row)["tries"] == 1 &&
               !sh("sqlite3 " + (service.root() / "index.sqlite3").string() +
                   " \"select multipart_id from replicas where multipart_id != ''\"")
                    .out.empty();
    }));
    ::kill(service.part_pid("replicate_pid"), SIGKILL);
    CHECK(service.wait_exit(60s) == 1);  // a part died: serve stops and says so
    CHECK_FALSE(s3.object_file("site1/acme/big.tgz"));

    service.start();
    const std::string sha2 = make_bundle(scratch / "second.tgz", 30 << 20);
    REQUIRE(service.scp_upload("acme", scratch / "second.tgz", "second.tgz").exit_code == 0);
    REQUIRE(wait_location(service, "acme", "big.tgz", "local+remote", 120s));
    REQUIRE(wait_until([&] {
        auto row = replica_of(service, "acme", "second.tgz");
        return row && (*row)["tries"] == 1 && (*row)["state"] == "queued" &&
               !sh("sqlite3 " + (service.root() / "index.sqlite3").string() +
                   " \"select multipart_id from replicas where multipart_id != ''\"")
                    .out.empty();
    }));
    service.kill9();
    service.start();
    INFO(service.log());
    REQUIRE(wait_location(service, "acme", "second.tgz", "local+remote", 120s));
    CHECK(sha_of_object(s3, "site1/acme/big.tgz") == sha);
    CHECK(sha_of_object(s3, "site1/acme/second.tgz") == sha2);
    CHECK((*replica_of(service, "acme", "big.tgz"))["tries"] == 2);
    CHECK(verify_remote(service).exit_code == 0);
    CHECK(service.stop() == 0);
}

TEST_CASE("object storage down for a while: the worker retries with backoff and catches up") {
    S3Server s3;
    TempDir scratch;
    Service service(replicating(s3, scratch));
    s3.stop();
    service.start();
    const std::string sha = make_bundle(scratch / "a.tgz", 300 << 10);
    REQUIRE(service.scp_upload("acme", scratch / "a.tgz", "a.tgz").exit_code == 0);
    REQUIRE(wait_until([&] {
        auto row = replica_of(service, "acme", "a.tgz");
        return row && (*row)["error_kind"] == "transient" && (*row)["tries"] >= 2;
    }));
    CHECK(wait_until([&] {
        return metrics_get(service, "/metrics").find("dropgate_replication_queue_depth 1\n") !=
               std::string::npos;
    }));
    CHECK(metrics_get(service, "/healthz") == "ok\n");  // transient: nobody needs to act
    s3.start();
    REQUIRE(wait_location(service, "acme", "a.tgz", "local+remote", 60s));
    CHECK(sha_of_object(s3, "site1/acme/a.tgz") == sha);
    CHECK(service.stop() == 0);
}

TEST_CASE("wrong credentials: /healthz says degraded, the log says why, nothing is lost") {
    S3Server s3;
    TempDir scratch;
    auto options = replicating(s3, scratch);
    write_credentials(scratch / "s3.toml", "not-the-secret");
    Service service(options);
    service.start();
    const std::string sha = make_bundle(scratch / "a.tgz", 300 << 10);
    REQUIRE(service.scp_upload("acme", scratch / "a.tgz", "a.tgz").exit_code == 0);
    REQUIRE(wait_until([&] {
        return metrics_get(service, "/healthz").starts_with("degraded: replication: 1 bundle");
    }));
    auto row = replica_of(service, "acme", "a.tgz");
    CHECK((*row)["error_kind"] == "permanent");
    CHECK_THAT((*row)["last_error"].get<std::string>(), Catch::Contains("403"));
    CHECK_THAT(service.log(), Catch::Contains("\"event\":\"replication_failed\""));
    CHECK_THAT(service.log(), !Catch::Contains("not-the-secret"));
    CHECK_FALSE(s3.object_file("site1/acme/a.tgz"));
    CHECK(service.stop() == 0);

    write_credentials(scratch / "s3.toml");  // fixed, restarted: it catches up
    service.start();
    REQUIRE(wait_location(service, "acme", "a.tgz", "local+remote", 90s));
    CHECK(sha_of_object(s3, "site1/acme/a.tgz") == sha);
    CHECK(wait_until([&] { return metrics_get(service, "/healthz") == "ok\n"; }));
    CHECK(service.stop() == 0);
}

TEST_CASE("the rate cap holds: a capped transfer takes at least its bytes over the rate") {
    S3Server s3;
    TempDir scratch;
    Service service(replicating(s3, scratch, "rate = \"4MB/s\"\n"));
    service.start();
    make_bundle(scratch / "a.tgz", 24 << 20);
    make_bundle(scratch / "b.tgz", 16 << 20);
    const double bytes = static_cast<double>(std::filesystem::file_size(scratch / "a.tgz") +
                                             std::filesystem::file_size(scratch / "b.tgz"));
    auto started = std::chrono::steady_clock::now();  // before: uploading only adds time
    REQUIRE(service.scp_upload("acme", scratch / "a.tgz", "a.tgz").exit_code == 0);
    REQUIRE(service.scp_upload("other", scratch / "b.tgz", "b.tgz").exit_code == 0);
    REQUIRE(wait_location(service, "acme", "a.tgz", "local+remote", 60s));
    REQUIRE(wait_location(service, "other", "b.tgz", "local+remote", 60s));
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // Both through one 4 MB/s bucket (bursts ≤ 4 MiB): never faster than (bytes - 4 MiB) / rate.
    // A lower bound only: a slow machine can take longer, never shorter.
    CHECK(seconds >= (bytes - 4.0 * 1048576) / 4e6);
    CHECK(service.stop() == 0);
}
