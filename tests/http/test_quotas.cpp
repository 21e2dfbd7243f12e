// Customer quotas ([quota], [[user]] max_bytes / max_bundles) on the real service: the upload
// that would pass one is refused with EDQUOT and a reason naming the quota — over SFTP and over
// HTTPS alike, at its first byte past the quota rather than at its end — and nothing of it is
// published; what is kept is counted from the index across a restart.
#include <catch2/catch.hpp>

#include <fstream>

#include "http_client.hpp"

using namespace dropgate::test;

namespace {

bool published(const Service& service, const std::string& rel) {
    return std::filesystem::exists(service.root() / "bundles" / rel);
}

}  // namespace

TEST_CASE("a quota refuses the upload that would pass it, over SFTP and HTTPS, naming the quota") {
    Service service(Service::Options{"", true, "", "[quota]\nmax_bundles = 2\n"});
    // The last [[user]] of the fixture is "other": its own byte limit, [quota]'s bundle limit.
    {
        std::ofstream config(service.config_file(), std::ios::app);
        config << "max_bytes = \"2MiB\"\n";
    }
    service.start();
    const auto small = service.dir() / "small.tgz";
    make_bundle(small, 64 << 10);

    REQUIRE(service.scp_upload("acme", small, "one.tgz").exit_code == 0);
    REQUIRE(service.scp_upload("acme", small, "two.tgz").exit_code == 0);
    auto third = service.scp_upload("acme", small, "three.tgz");
    CHECK(third.exit_code != 0);
    const std::string bundles_reason =
        "quota: acme may keep at most max_bundles 2 bundles (2 accepted, 0 uploading)";
    CHECK_THAT(third.err, Catch::Contains(bundles_reason));
    CHECK_FALSE(published(service, "acme/three.tgz"));
    auto put = curl(service, "/upload/four.tgz", {"-T", small.string()});
    CHECK(put.status == 413);
    CHECK_THAT(put.body, Catch::Contains(bundles_reason));
    CHECK_FALSE(published(service, "acme/four.tgz"));
    auto rejected = service.query({"bundles", "--customer", "acme", "--status", "rejected"});
    CHECK_THAT(rejected.out, Catch::Contains("three.tgz"));

    // other may keep 2 MiB: a ~3 MiB bundle is refused once its bytes pass 2 MiB.
    const auto big = service.dir() / "big.tgz";
    make_bundle(big, 6 << 20);
    const auto size = std::filesystem::file_size(big);
    REQUIRE(size > (5u << 19));
    const auto received = service.metric("dropgate_bytes_received_total");
    auto sftp = service.sftp("other", "put " + big.string() + " big.tgz\n");
    CHECK(sftp.exit_code != 0);
    CHECK_THAT(sftp.err, Catch::Contains("quota: other may keep at most max_bytes 2 MiB"));
    CHECK(service.metric("dropgate_bytes_received_total") - received <= (2u << 20));
    CHECK_FALSE(published(service, "other/big.tgz"));
    // A small one still fits; the limit counts what is kept, so after it less room is left.
    REQUIRE(service.scp_upload("other", small, "fits.tgz").exit_code == 0);
    // Over HTTPS the size is known before the body (Content-Length, tus Upload-Length): the
    // store refuses before the first byte.
    const auto before_put = service.metric("dropgate_bytes_received_total");
    auto over = curl(service, "/upload/big.tgz", {"-T", big.string()}, "other");
    CHECK(over.status == 413);
    CHECK_THAT(over.body, Catch::Contains("quota: other may keep at most max_bytes 2 MiB ("));
    auto created = curl(
        service, "/files/",
        {"-X", "POST", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Length: " + std::to_string(size),
         "-H", "Upload-Metadata: filename " + sh("printf big2.tgz | base64 -w0").out},
        "other");
    REQUIRE(created.status == 201);
    auto patch = curl(
        service, created.header("Location"),
        {"-X", "PATCH", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Offset: 0", "-H",
         "Content-Type: application/offset+octet-stream", "--data-binary", "@" + small.string()},
        "other");
    CHECK(patch.status == 413);
    CHECK_THAT(patch.body, Catch::Contains("quota: other may keep at most max_bytes 2 MiB ("));
    auto gone =
        curl(service, created.header("Location"), {"-I", "-H", "Tus-Resumable: 1.0.0"}, "other");
    CHECK(gone.status == 410);
    CHECK(service.metric("dropgate_bytes_received_total") == before_put);
    CHECK_FALSE(published(service, "other/big2.tgz"));

    // query stats shows each customer with a quota against it.
    auto stats = service.query({"stats", "--json"});
    CHECK_THAT(stats.out, Catch::Contains("{\"customer\":\"acme\",\"kept_bundles\":2,"));
    CHECK_THAT(stats.out, Catch::Contains("\"max_bundles\":2}"));
    CHECK_THAT(stats.out, Catch::Contains("\"max_bundles\":2,\"max_bytes\":2097152}"));
    CHECK_THAT(service.query({"stats"}).out, Catch::Contains("KEPT_BUNDLES"));

    // Kept bundles are counted from the index after a restart.
    CHECK(service.stop() == 0);
    service.start();
    CHECK_THAT(service.scp_upload("acme", small, "five.tgz").err, Catch::Contains(bundles_reason));
    CHECK(service.stop() == 0);
}
