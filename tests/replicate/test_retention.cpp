// Retention and read-through (spec §12): local copies go only once their object is confirmed,
// and a bundle only in object storage still reads byte for byte through every door.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "replicate_helpers.hpp"
#include "s3_server.hpp"

using namespace dropgate::test;
using namespace std::chrono_literals;

namespace {

Service::Options retaining(const S3Server& s3, const TempDir& dir, const std::string& retention) {
    write_credentials(dir / "s3.toml");
    Service::Options options;
    options.http = true;
    options.extra_sections = s3.replicate_section(dir / "s3.toml") + "[retention]\n" + retention;
    return options;
}

// 64 random preads of the same ranges in both files agree.
void check_random_reads(const std::filesystem::path& expected, const std::filesystem::path& got) {
    auto r = run({"/usr/bin/python3", "-c",
                  "import os,random,sys\n"
                  "a=os.open(sys.argv[1],os.O_RDONLY);b=os.open(sys.argv[2],os.O_RDONLY)\n"
                  "n=os.fstat(a).st_size;random.seed(7)\n"
                  "for i in range(64):\n"
                  "  off=random.randrange(n);size=random.choice([1,4096,70000,5000000])\n"
                  "  assert os.pread(a,size,off)==os.pread(b,size,off),(off,size)\n"
                  "print('ok')\n",
                  expected.string(), got.string()});
    INFO(r.err);
    CHECK(r.out == "ok\n");
}

}  // namespace

TEST_CASE(
    "keep_local: a confirmed replica's local copy goes, and the bundle still reads the "
    "same through the mount, the read-only mount, SFTP and HTTPS") {
    S3Server s3;
    TempDir scratch;
    Service service(retaining(s3, scratch, "keep_local = \"0s\"\ncache_size = \"16MiB\"\n"));
    service.start();
    const std::string sha = make_bundle(scratch / "big.tgz", 60 << 20);  // ~30 MB: 8 blocks
    REQUIRE(service.scp_upload("acme", scratch / "big.tgz", "big.tgz").exit_code == 0);
    REQUIRE(wait_location(service, "acme", "big.tgz", "remote"));

    // The local copy is a stub now: the size is kept, the blocks are not.
    struct stat st {};
    REQUIRE(::stat((service.root() / "bundles/acme/big.tgz").c_str(), &st) == 0);
    CHECK(st.st_size == static_cast<off_t>(std::filesystem::file_size(scratch / "big.tgz")));
    CHECK(st.st_blocks == 0);
    CHECK(sha256_of(service.mount() / "acme/big.tgz") == sha);
    check_random_reads(scratch / "big.tgz", service.mount() / "acme/big.tgz");
    // The cache stays within cache_size (plus the block being fetched) after reading 30 MB.
    CHECK(std::stoull(
              sh("du -sb '" + (service.root() / ".remote-cache").string() + "' | cut -f1").out) <=
          (16u << 20) + (4u << 20));

    auto got = service.sftp("help", "get acme/big.tgz " + (scratch / "sftp.tgz").string() + "\n");
    REQUIRE(got.exit_code == 0);
    CHECK(sha256_of(scratch / "sftp.tgz") == sha);

    auto https =
        sh("curl -sf --cacert '" + service.http_cert().string() + "' -H 'Authorization: Bearer " +
           service.token("acme") + "' -o '" + (scratch / "https.tgz").string() + "' " +
           service.http_url() + "/download/big.tgz");
    REQUIRE(https.exit_code == 0);
    CHECK(sha256_of(scratch / "https.tgz") == sha);

    TempDir view;
    REQUIRE(run({dropgate_bin(), "mount", "-c", service.config_file().string(), "--read-only",
                 view.path().string()})
                .exit_code == 0);
    CHECK(sha256_of(view / "acme/big.tgz") == sha);
    sh("fusermount3 -u '" + view.path().string() + "'");

    auto verify = verify_remote(service);
    CHECK(verify.exit_code == 0);
    CHECK_THAT(verify.out, Catch::Contains(", 1 only in object storage"));
    CHECK(service.stop() == 0);
}

TEST_CASE(
    "a local copy stays while its object cannot be confirmed, and verify --remote reports "
    "an object deleted behind dropgate's back") {
    S3Server s3;
    TempDir scratch;
    Service service(retaining(s3, scratch, "keep_local = \"4s\"\n"));
    service.start();
    const std::string sha = make_bundle(scratch / "a.tgz", 400 << 10);
    REQUIRE(service.scp_upload("acme", scratch / "a.tgz", "a.tgz").exit_code == 0);
    REQUIRE(wait_location(service, "acme", "a.tgz", "local+remote"));
    s3.delete_object("site1/acme/a.tgz");

    REQUIRE(wait_until([&] {
        return service.log().find("\"event\":\"retention_kept_local\"") != std::string::npos;
    }));
    CHECK(sha256_of(service.root() / "bundles/acme/a.tgz") == sha);  // still the real bytes
    auto verify = verify_remote(service);
    CHECK(verify.exit_code == 1);
    CHECK_THAT(verify.out, Catch::Contains("acme/a.tgz: no object at site1/acme/a.tgz"));

    auto repair = verify_remote(service, {"--repair"});
    CHECK_THAT(repair.out, Catch::Contains("queued for replication again"));
    REQUIRE(wait_location(service, "acme", "a.tgz", "remote", 60s));
    CHECK(sha256_of(*s3.object_file("site1/acme/a.tgz")) == sha);
    CHECK(sha256_of(service.mount() / "acme/a.tgz") == sha);
    CHECK(service.stop() == 0);
}

TEST_CASE("delete_after removes a bundle from both places and keeps its row as a tombstone") {
    S3Server s3;
    TempDir scratch;
    Service service(retaining(s3, scratch, "keep_local = \"0s\"\ndelete_after = \"3s\"\n"));
    service.start();
    make_bundle(scratch / "old.tgz", 300 << 10);
    REQUIRE(service.scp_upload("acme", scratch / "old.tgz", "old.tgz").exit_code == 0);
    REQUIRE(sh("ls '" + (service.mount() / "acme").string() + "'").out == "old.tgz\nold.tgz.d\n");
    REQUIRE(wait_location(service, "acme", "old.tgz", "deleted", 60s));
    CHECK_FALSE(s3.object_file("site1/acme/old.tgz"));
    CHECK_FALSE(std::filesystem::exists(service.root() / "bundles/acme/old.tgz"));
    CHECK(sh("ls '" + (service.mount() / "acme").string() + "'").out.empty());
    CHECK_THAT(service.query({"bundles"}).out, Catch::Contains("old.tgz"));  // the tombstone
    CHECK(verify_remote(service).exit_code == 0);
    CHECK(service.stop() == 0);
}
