// POST /upload/ with multipart/form-data: an HTML form's or `curl -F`'s way. The reader alone
// (any split of the body gives the same parts) and the real service (one verdict per file).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "http_client.hpp"
#include "multipart.hpp"

using namespace dropgate::test;
using dropgate::http::MultipartReader;

namespace {

// What the reader makes of `body` fed in pieces of the given sizes (cycled): "name=bytes" per file.
std::vector<std::string> parts_of(const std::string& body, const std::vector<std::size_t>& sizes) {
    MultipartReader reader("XyZ");
    std::vector<std::string> parts;
    std::size_t at = 0, i = 0;
    while (at < body.size()) {
        std::size_t n = std::min(sizes[i++ % sizes.size()], body.size() - at);
        for (auto& event : reader.feed(std::string_view(body).substr(at, n))) {
            if (event.kind == MultipartReader::Event::begin) parts.push_back(event.text + "=");
            if (event.kind == MultipartReader::Event::data) parts.back() += event.text;
        }
        at += n;
    }
    CHECK(reader.finished());
    return parts;
}

}  // namespace

TEST_CASE("the multipart reader finds the same parts however the body is split") {
    const std::string payload = "ab\r\n--XyZ-not-quite\r\n--Xy\r\nend";  // near-boundaries inside
    const std::string body =
        "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.tgz\"\r\n"
        "Content-Type: application/gzip\r\n\r\n" +
        payload +
        "\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
        "filename=\"C:\\\\logs\\\\b.tgz\"\r\n\r\n"
        "\r\n--XyZ--\r\n";
    const std::vector<std::string> expected{"=hello", "a.tgz=" + payload, "b.tgz="};
    CHECK(parts_of(body, {body.size()}) == expected);
    CHECK(parts_of(body, {1}) == expected);
    std::mt19937 random(7);
    for (int round = 0; round < 50; ++round) {
        std::vector<std::size_t> sizes;
        for (int i = 0; i < 8; ++i) sizes.push_back(1 + random() % 23);
        CHECK(parts_of(body, sizes) == expected);
    }
    CHECK_FALSE(dropgate::http::multipart_boundary("application/json"));
    CHECK(dropgate::http::multipart_boundary("multipart/form-data; boundary=\"a b\"") == "a b");
}

TEST_CASE("a form upload stores each file part under its name with its own verdict") {
    Service service(Service::Options{"", true, "", ""});
    service.start();
    auto good = service.dir() / "good.tgz";
    const std::string sha = make_bundle(good, 2 << 20);
    auto junk = service.dir() / "junk.tgz";
    REQUIRE(sh("head -c 3000000 /dev/urandom > '" + junk.string() + "'").exit_code == 0);
    auto posted = curl(service, "/upload/host7/",
                       {"-F", "note=from the form", "-F", "file=@" + good.string(), "-F",
                        "file=@" + junk.string()});
    INFO(posted.body);
    CHECK(posted.status == 422);  // the worst of the parts
    auto results = nlohmann::json::parse(posted.body)["results"];
    REQUIRE(results.size() == 2);
    CHECK(results[0]["status"] == 201);
    CHECK(results[0]["path"] == "host7/good.tgz");
    CHECK(results[0]["sha256"] == sha);
    CHECK(results[1]["status"] == 422);
    CHECK(results[1]["reason"].get<std::string>().find("not gzip") == 0);
    CHECK(sha256_of(service.root() / "bundles/acme/host7/good.tgz") == sha);
    CHECK_FALSE(std::filesystem::exists(service.mount() / "acme/host7/junk.tgz"));

    auto again = curl(service, "/upload/host7/", {"-F", "file=@" + good.string()});
    CHECK(again.status == 409);
    CHECK(curl(service, "/upload/", {"--data", "x=1"}).status == 415);
    CHECK(curl(service, "/upload/", {"-F", "file=@" + good.string()}, "help").status == 403);
}
