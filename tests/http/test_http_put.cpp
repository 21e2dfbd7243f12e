// PUT /upload/<path> over TLS into the real service: the same verdicts and reasons the SFTP
// client gets, as HTTP statuses; downloads of what was accepted with Range and ETag.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "http_client.hpp"

using namespace dropgate::test;

namespace {

bool in_bundles(const Service& service, const std::string& rel) {
    return std::filesystem::exists(service.root() / "bundles" / rel);
}

}  // namespace

TEST_CASE("a bundle PUT over TLS is accepted with its facts, indexed and downloadable") {
    Service service(Service::Options{"", true, "", ""});
    service.start();
    auto bundle = service.dir() / "logs.tgz";
    const std::string sha = make_bundle(bundle, 3 << 20);

    auto put = curl(service, "/upload/host1/logs.tgz", {"-T", bundle.string()});
    REQUIRE(put.status == 201);
    auto facts = nlohmann::json::parse(put.body);
    CHECK(facts["path"] == "host1/logs.tgz");
    CHECK(facts["sha256"] == sha);
    CHECK(facts["bytes"] == std::filesystem::file_size(bundle));
    CHECK(facts["members"].get<int>() >= 3);
    CHECK(in_bundles(service, "acme/host1/logs.tgz"));
    CHECK(service.query({"bundles", "--customer", "acme"}).out.find("host1/logs.tgz") !=
          std::string::npos);

    auto listed = curl(service, "/api/uploads", {});
    REQUIRE(listed.status == 200);
    auto uploads = nlohmann::json::parse(listed.body)["uploads"];
    REQUIRE(uploads.size() == 1);
    CHECK(uploads[0]["status"] == "accepted");
    CHECK(uploads[0]["sha256"] == sha);

    auto copy = service.dir() / "copy.tgz";
    auto got = curl(service, "/download/host1/logs.tgz", {"-o", copy.string()});
    CHECK(got.status == 200);
    CHECK(sha256_of(copy) == sha);
    CHECK(got.header("ETag") == "\"" + sha + "\"");

    auto slice = curl(service, "/download/host1/logs.tgz", {"-H", "Range: bytes=100-199"});
    CHECK(slice.status == 206);
    CHECK(slice.body == read_file(bundle).substr(100, 100));
    CHECK(slice.header("Content-Range") ==
          "bytes 100-199/" + std::to_string(std::filesystem::file_size(bundle)));
    CHECK(curl(service, "/download/host1/logs.tgz", {"-H", "Range: bytes=999999999-"}).status ==
          416);

    // Support reads every customer's bundles (and writes nothing); another customer sees none.
    CHECK(curl(service, "/download/acme/host1/logs.tgz", {"-o", copy.string()}, "help").status ==
          200);
    CHECK(sha256_of(copy) == sha);
    CHECK(curl(service, "/upload/x.tgz", {"-T", bundle.string()}, "help").status == 403);
    CHECK(curl(service, "/download/host1/logs.tgz", {}, "other").status == 404);
    auto others = curl(service, "/api/uploads", {}, "other");
    CHECK(nlohmann::json::parse(others.body)["uploads"].empty());
}

TEST_CASE("a refused PUT says why with the status of its kind, and leaves nothing visible") {
    Service service(Service::Options{"", true, "", ""});
    service.start();
    auto bundle = service.dir() / "ok.tgz";
    make_bundle(bundle, 1 << 20);
    REQUIRE(curl(service, "/upload/ok.tgz", {"-T", bundle.string()}).status == 201);

    auto again = curl(service, "/upload/ok.tgz", {"-T", bundle.string()});
    CHECK(again.status == 409);
    CHECK(again.body ==
          "acme/ok.tgz already exists; bundles are immutable — upload under a new name\n");

    auto zip = service.dir() / "x.zip";
    REQUIRE(sh("cd '" + service.dir().path().string() + "' && zip -q x.zip ok.tgz").exit_code == 0);
    auto renamed = curl(service, "/upload/fake.tgz", {"-T", zip.string()});
    CHECK(renamed.status == 422);
    CHECK(renamed.body.find("not gzip (bad magic 50 4b 03 04: looks like zip)") == 0);

    auto name = curl(service, "/upload/notes.txt", {"-T", bundle.string()});
    CHECK(name.status == 403);
    CHECK(name.body.find("not an accepted bundle name: notes.txt") == 0);

    auto cut = service.dir() / "cut.tgz";
    write_file(cut, read_file(bundle).substr(0, std::filesystem::file_size(bundle) / 2));
    auto truncated = curl(service, "/upload/cut.tgz", {"-T", cut.string()});
    CHECK(truncated.status == 422);
    CHECK(truncated.body.find("truncated") != std::string::npos);

    for (const char* rel : {"acme/fake.tgz", "acme/notes.txt", "acme/cut.tgz"}) {
        INFO(rel);
        CHECK_FALSE(in_bundles(service, rel));
        CHECK_FALSE(std::filesystem::exists(service.mount() / rel));
    }
    auto rejected = service.query({"bundles", "--status", "rejected"});
    CHECK(rejected.out.find("fake.tgz") != std::string::npos);
    CHECK(rejected.out.find("cut.tgz") != std::string::npos);
}

TEST_CASE("bad content is refused while the body still arrives, not after all of it") {
    Service service(Service::Options{"", true, "", ""});
    service.start();
    auto junk = service.dir() / "junk.tgz";
    REQUIRE(sh("head -c 200000000 /dev/zero > '" + junk.string() + "'").exit_code == 0);
    auto put = curl(service, "/upload/junk.tgz", {"-T", junk.string()});
    CHECK(put.status == 422);
    CHECK(put.body.find("not gzip") == 0);
    // curl counts what it sent: a small part of the 200 MB before the answer stopped it.
    std::uint64_t sent = std::stoull(put.stats);
    CHECK(sent < 100'000'000u);
}
