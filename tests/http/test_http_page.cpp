// The web page in headless Chromium: a customer uploads through it (progress, verdict, the
// reason of a refusal, a cut and reload that resumes), support lists, searches and downloads.
// Screenshots of each state go to build/test-artifacts/http/.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "http_client.hpp"

using namespace dropgate::test;

TEST_CASE("the web page uploads, shows verdicts and reasons, resumes after a reload, serves support") {
    if (!std::filesystem::exists("/usr/bin/chromedriver")) {
        FAIL("chromium-driver is not installed (scripts/deps --test installs it)");
    }
    Service service(Service::Options{"", true, "", ""});
    service.start();
    auto good = service.dir() / "good.tgz";
    const std::string good_sha = make_bundle(good, 2 << 20);
    auto bad = service.dir() / "bad.tgz";
    write_file(bad, "this is not a gzip file\n");
    auto big = service.dir() / "big.tgz";
    const std::string big_sha = make_bundle(big, 60 << 20);
    const auto artifacts =
        std::filesystem::path(dropgate_bin()).parent_path().parent_path() / "test-artifacts/http";

    auto ran = run({"/usr/bin/python3", (tests_dir() / "http/browser.py").string(),
                    service.http_url(), artifacts.string(), service.token("acme"),
                    service.token("help"), good.string(), bad.string(), big.string()});
    INFO(ran.out << ran.err);
    REQUIRE(ran.exit_code == 0);
    auto seen = nlohmann::json::parse(ran.out);
    CHECK(seen["who"] == "acme (customer)");
    CHECK(seen["good"][0] == "accepted");
    CHECK(seen["mine"].get<std::string>().find(good_sha) != std::string::npos);
    CHECK(seen["bad"][0] == "rejected");
    CHECK(seen["bad"][1].get<std::string>().find("not gzip") == 0);
    CHECK(seen["progress_text"].get<std::string>().find("/s") != std::string::npos);  // speed
    CHECK(std::stoull(seen["resumed_at"].get<std::string>()) > 0);  // continued, not restarted
    CHECK(seen["big"][0] == "accepted");
    CHECK(sha256_of(service.root() / "bundles/acme/big.tgz") == big_sha);
    CHECK(sha256_of(service.root() / "bundles/acme/good.tgz") == good_sha);
    CHECK(seen["support_who"] == "help (support)");
    CHECK(seen["bundles"].get<std::string>().find("big.tgz") != std::string::npos);
    CHECK(seen["download_links"].dump().find("/download/acme/good.tgz") != std::string::npos);
    CHECK(seen["members"].get<std::string>().find("var/log/app.log") != std::string::npos);
    CHECK(seen["phone_overflow"] == false);
    for (const char* shot : {"1-login", "3-accepted", "4-refused", "6-resumed", "7-support"})
        CHECK(std::filesystem::exists(artifacts / (std::string(shot) + ".png")));
}

TEST_CASE("tus-js-client in Chromium: accepted, refused with the reason, and a refused upload never completes") {
    const auto tus_js = tests_dir() / "http/js/node_modules/tus-js-client/dist/tus.min.js";
    if (!std::filesystem::exists(tus_js)) {
        FAIL("tus-js-client is not installed (scripts/deps --test runs npm ci in tests/http/js)");
    }
    Service service(Service::Options{"", true, "", ""});
    service.start();
    auto good = service.dir() / "good.tgz";
    const std::string sha = make_bundle(good, 1 << 20);
    auto bad = service.dir() / "cut.tgz";
    write_file(bad, read_file(good).substr(0, std::filesystem::file_size(good) - 4096));
    auto ran = run({"/usr/bin/python3", (tests_dir() / "http/browser_tus.py").string(),
                    service.http_url(), service.token("acme"), tus_js.string(), good.string(),
                    bad.string()});
    INFO(ran.out << ran.err);
    REQUIRE(ran.exit_code == 0);
    auto seen = nlohmann::json::parse(ran.out);
    CHECK(seen["good"]["success"] == true);
    CHECK(sha256_of(service.root() / "bundles/acme/good.tgz") == sha);
    CHECK(seen["bad"].value("success", false) == false);
    CHECK(seen["bad"]["status"] == 422);
    CHECK(seen["bad"]["body"].get<std::string>().find("truncated") != std::string::npos);
    // The same file again: tus-js-client finds its stored upload URL; the server's 410 for the
    // refused upload must not read as "offset == length, done".
    CHECK(seen["bad_again"]["previous"] == 1);
    CHECK(seen["bad_again"].value("success", false) == false);
    CHECK_FALSE(std::filesystem::exists(service.root() / "bundles/acme/cut.tgz"));
}
