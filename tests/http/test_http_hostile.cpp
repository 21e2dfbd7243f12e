// Hostile requests to the real front end: each gets a clear status and none reaches the store.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "http_client.hpp"

using namespace dropgate::test;

TEST_CASE("paths that climb, hide or smuggle are refused before the store sees them") {
    Service service(Service::Options{"", true, "", ""});
    service.start();
    auto bundle = service.dir() / "b.tgz";
    make_bundle(bundle, 1 << 16);
    for (const char* path :
         {"/upload/../other/x.tgz", "/upload/%2e%2e/other/x.tgz", "/upload/a/%2E%2E/%2e%2e/x.tgz",
          "/upload//etc/x.tgz", "/upload/.hidden.tgz", "/upload/a%2f..%2f..%2fx.tgz",
          "/upload/a%00.tgz", "/upload/%zz.tgz", "/upload"}) {
        INFO(path);
        auto put = curl(service, path, {"--path-as-is", "-T", bundle.string()});
        CHECK(put.status == 400);
    }
    CHECK(sh("find '" + service.root().string() + "/bundles' -type f | wc -l").out == "0\n");
    CHECK(curl(service, "/download/../../etc/passwd", {"--path-as-is"}).status != 200);
}

TEST_CASE("no token or a wrong one is 401 and counted, and CSRF needs the session's token") {
    Service service(Service::Options{"", true, "", ""});
    service.start();
    auto bundle = service.dir() / "b.tgz";
    make_bundle(bundle, 1 << 16);
    CHECK(curl(service, "/upload/b.tgz", {"-T", bundle.string()}, "").status == 401);
    auto wrong =
        curl(service, "/upload/b.tgz",
             {"-H", "Authorization: Bearer dg_" + std::string(43, 'A'), "-T", bundle.string()}, "");
    CHECK(wrong.status == 401);
    CHECK(service.log().find("\"event\":\"auth_failure\",\"door\":\"http\"") != std::string::npos);

    // A browser login: the cookie alone does not make an unsafe request (CSRF).
    auto jar = (service.dir() / "cookies").string();
    auto login = curl(service, "/login",
                      {"-c", jar, "--data-urlencode", "user=acme", "--data-urlencode",
                       "password=" + service.token("acme")},
                      "");
    REQUIRE(login.status == 200);
    CHECK(login.header("Set-Cookie").find("HttpOnly; Secure; SameSite=Strict") !=
          std::string::npos);
    const std::string csrf = nlohmann::json::parse(login.body)["csrf"];
    CHECK(curl(service, "/api/uploads", {"-b", jar}, "").status == 200);
    CHECK(curl(service, "/upload/b.tgz", {"-b", jar, "-T", bundle.string()}, "").status == 403);
    CHECK(curl(service, "/upload/b.tgz",
               {"-b", jar, "-H", "X-CSRF-Token: " + csrf, "-T", bundle.string()}, "")
              .status == 201);
    CHECK(curl(service, "/login", {"--data", "user=acme&password=wrong"}, "").status == 401);
}

TEST_CASE("malformed requests: conflicting lengths 400, oversized headers 431, slow heads cut") {
    Service service(Service::Options{"", true, "login_grace_time = \"3s\"", ""});
    service.start();
    const std::string token = service.token("acme");
    // Content-Length and Transfer-Encoding together: a smuggling attempt, refused and closed.
    auto smuggle =
        raw_tls(service, "PUT /upload/s.tgz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                             "\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "0\r\n\r\nGET /api/uploads HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(smuggle.response.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(smuggle.response.find("HTTP/1.1 200") == std::string::npos);  // nothing after it ran
    auto twice = raw_tls(service,
                         "PUT /upload/s.tgz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                         "Content-Length: 6\r\n\r\nhello!");
    CHECK(twice.response.rfind("HTTP/1.1 400", 0) == 0);
    auto huge =
        raw_tls(service, "GET / HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(64 * 1024, 'a') +
                             "\r\n\r\n");
    CHECK(huge.response.rfind("HTTP/1.1 431", 0) == 0);
    // A head that never ends is cut after login_grace_time (3 s here).
    auto slow = raw_tls(service, "GET / HTTP/1.1\r\nHost: x\r\n", 30);
    CHECK(slow.seconds >= 2.5);
    CHECK(slow.seconds < 20);
}
