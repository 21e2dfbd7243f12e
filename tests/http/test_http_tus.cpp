// tus 1.0 at /files/ over the store's partial uploads: by hand with curl (every header), with
// Debian's tuspy, and across a restart of the whole service.
#include <catch2/catch.hpp>

#include "http_client.hpp"

using namespace dropgate::test;

namespace {

const std::vector<std::string> kTus{"-H", "Tus-Resumable: 1.0.0"};

std::vector<std::string> with(std::vector<std::string> args) {
    args.insert(args.end(), kTus.begin(), kTus.end());
    return args;
}

std::string base64(const std::string& text) {
    return sh("printf '%s' '" + text + "' | base64 -w0").out;
}

// POST /files/ for `name` of `length` bytes; returns the Location path.
std::string create(const Service& service, const std::string& name, std::uint64_t length) {
    auto made = curl(service, "/files/",
                     with({"-X", "POST", "-H", "Upload-Length: " + std::to_string(length), "-H",
                           "Upload-Metadata: filename " + base64(name) + ",filetype " +
                               base64("application/gzip")}));
    REQUIRE(made.status == 201);
    REQUIRE(made.header("Location").rfind("/files/", 0) == 0);
    return made.header("Location");
}

HttpResult patch(const Service& service, const std::string& location, std::uint64_t offset,
                 const std::filesystem::path& piece, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"-X",
                                  "PATCH",
                                  "-H",
                                  "Content-Type: application/offset+octet-stream",
                                  "-H",
                                  "Upload-Offset: " + std::to_string(offset),
                                  "--data-binary",
                                  "@" + piece.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return curl(service, location, with(args));
}

std::string head_offset(const Service& service, const std::string& location) {
    auto head = curl(service, location, with({"-I"}));
    return std::to_string(head.status) + " " + head.header("Upload-Offset");
}

// Splits `file` at `at` into two files beside it.
std::pair<std::filesystem::path, std::filesystem::path> split(const std::filesystem::path& file,
                                                              std::size_t at) {
    std::string bytes = read_file(file);
    auto first = file.string() + ".1", second = file.string() + ".2";
    write_file(first, bytes.substr(0, at));
    write_file(second, bytes.substr(at));
    return {first, second};
}

}  // namespace

TEST_CASE("tus by hand: create, continue at the offset, refuse every other offset, finish") {
    Service service(Service::Options{"", true, "", ""});
    service.start();
    auto bundle = service.dir() / "b.tgz";
    const std::string sha = make_bundle(bundle, 4 << 20);
    const auto length = std::filesystem::file_size(bundle);
    auto [first, second] = split(bundle, 1'500'000);

    auto options = curl(service, "/files/", {"-X", "OPTIONS"}, "");
    CHECK(options.status == 204);
    CHECK(options.header("Tus-Version") == "1.0.0");
    CHECK(options.header("Tus-Extension").find("creation-with-upload") != std::string::npos);
    CHECK(options.header("Tus-Checksum-Algorithm").find("sha256") != std::string::npos);

    const std::string at = create(service, "tus/b.tgz", length);
    CHECK(head_offset(service, at) == "200 0");
    CHECK(curl(service, at, {"-I"}).status == 412);  // no Tus-Resumable
    auto wrong_type = curl(
        service, at,
        with({"-X", "PATCH", "-H", "Upload-Offset: 0", "--data-binary", "@" + first.string()}));
    CHECK(wrong_type.status == 415);

    auto one = patch(service, at, 0, first);
    CHECK(one.status == 204);
    CHECK(one.header("Upload-Offset") == "1500000");
    CHECK(head_offset(service, at) == "200 1500000");
    // The partial shows to its owner through the mount as incomplete, never as a bundle.
    CHECK(std::filesystem::file_size(service.mount() / "acme/tus/b.tgz") == 1'500'000);
    CHECK_FALSE(std::filesystem::exists(service.root() / "bundles/acme/tus/b.tgz"));

    auto behind = patch(service, at, 1000, second);
    CHECK(behind.status == 409);
    CHECK(behind.header("Upload-Offset") == "1500000");
    auto bad_sum = patch(service, at, 1'500'000, second,
                         {"-H", "Upload-Checksum: sha256 " + base64("not the digest")});
    CHECK(bad_sum.status == 460);
    CHECK(head_offset(service, at) == "200 1500000");

    const std::string digest =
        run({"/usr/bin/python3", "-c",
             "import base64,hashlib,sys; print(base64.b64encode(hashlib.sha256("
             "open(sys.argv[1],'rb').read()).digest()).decode(), end='')",
             second.string()})
            .out;
    auto rest = patch(service, at, 1'500'000, second, {"-H", "Upload-Checksum: sha256 " + digest});
    CHECK(rest.status == 204);
    CHECK(rest.header("Upload-Offset") == std::to_string(length));
    CHECK(head_offset(service, at) == "200 " + std::to_string(length));
    REQUIRE(std::filesystem::exists(service.root() / "bundles/acme/tus/b.tgz"));
    CHECK(sha256_of(service.root() / "bundles/acme/tus/b.tgz") == sha);

    // Another customer's login does not reach acme's upload.
    CHECK(curl(service, at, with({"-I"}), "other").status == 404);
    CHECK(curl(service, at, with({"-I"}), "help").status == 403);
}

TEST_CASE("a tus upload refused at its end answers 422 with the reason, then 410 Gone forever") {
    Service service(Service::Options{"", true, "", ""});
    service.start();
    auto bundle = service.dir() / "b.tgz";
    make_bundle(bundle, 1 << 20);
    auto cut = service.dir() / "cut.tgz";
    write_file(cut, read_file(bundle).substr(0, std::filesystem::file_size(bundle) - 100));
    const auto length = std::filesystem::file_size(cut);
    const std::string at = create(service, "cut.tgz", length);
    auto last = patch(service, at, 0, cut);
    CHECK(last.status == 422);
    CHECK(last.body.find("truncated") != std::string::npos);
    auto head = curl(service, at, with({"-I"}));
    CHECK(head.status == 410);  // never "offset == length": a client must not call it done
    CHECK(head.header("Upload-Offset").empty());
    auto again = patch(service, at, 0, cut);
    CHECK(again.status == 410);
    CHECK(again.body == last.body);
}

TEST_CASE("tuspy uploads in checksummed chunks, and bad content stops at the first chunk") {
    Service service(Service::Options{"", true, "", ""});
    service.start();
    auto bundle = service.dir() / "b.tgz";
    const std::string sha = make_bundle(bundle, 3 << 20);
    auto junk = service.dir() / "junk.tgz";
    REQUIRE(sh("head -c 5000000 /dev/urandom > '" + junk.string() + "'").exit_code == 0);
    auto tuspy = [&](const std::filesystem::path& file, const std::string& name) {
        return run({"/usr/bin/python3", (tests_dir() / "http/tuspy_upload.py").string(),
                    service.http_url() + "/files/", service.token("acme"), file.string(), name,
                    "1000000", service.http_cert().string()});
    };
    auto good = tuspy(bundle, "good.tgz");
    INFO(good.out << good.err);
    CHECK(good.out.rfind("ok ", 0) == 0);
    CHECK(sha256_of(service.root() / "bundles/acme/good.tgz") == sha);
    auto bad = tuspy(junk, "junk.tgz");
    CHECK(bad.out.find("422") != std::string::npos);
    auto rows = service.query({"bundles", "--status", "rejected"});
    CHECK(rows.out.find("junk.tgz") != std::string::npos);
    CHECK(rows.out.find("not gzip") != std::string::npos);
}

TEST_CASE("a tus upload continues after the whole service restarted, and DELETE ends one") {
    Service service(Service::Options{"", true, "", ""});
    service.start();
    auto bundle = service.dir() / "b.tgz";
    const std::string sha = make_bundle(bundle, 4 << 20);
    const auto length = std::filesystem::file_size(bundle);
    auto [first, second] = split(bundle, 2'000'000);
    const std::string at = create(service, "r.tgz", length);
    REQUIRE(patch(service, at, 0, first).status == 204);
    const std::string dropped = create(service, "dropped.tgz", length);
    REQUIRE(patch(service, dropped, 0, first).status == 204);

    REQUIRE(service.stop() == 0);
    service.start();
    CHECK(head_offset(service, at) == "200 2000000");
    CHECK(patch(service, at, 2'000'000, second).status == 204);
    CHECK(sha256_of(service.root() / "bundles/acme/r.tgz") == sha);

    CHECK(curl(service, dropped, with({"-X", "DELETE"})).status == 204);
    CHECK(curl(service, dropped, with({"-I"})).status == 410);
    CHECK_FALSE(std::filesystem::exists(service.mount() / "acme/dropped.tgz"));
    CHECK(service.query({"bundles", "--status", "aborted"}).out.find("dropped.tgz") !=
          std::string::npos);
}

TEST_CASE("creation-with-upload: the POST carries the first bytes") {
    Service service(Service::Options{"", true, "", ""});
    service.start();
    auto bundle = service.dir() / "b.tgz";
    const std::string sha = make_bundle(bundle, 1 << 20);
    auto made = curl(service, "/files/",
                     with({"-X", "POST", "-H",
                           "Upload-Length: " + std::to_string(std::filesystem::file_size(bundle)),
                           "-H", "Upload-Metadata: filename " + base64("w.tgz"), "-H",
                           "Content-Type: application/offset+octet-stream", "--data-binary",
                           "@" + bundle.string()}));
    CHECK(made.status == 201);
    CHECK(made.header("Upload-Offset") == std::to_string(std::filesystem::file_size(bundle)));
    CHECK(sha256_of(service.root() / "bundles/acme/w.tgz") == sha);
}

TEST_CASE(
    "max_partial_bytes bounds what a customer's unfinished uploads hold, and frees with them") {
    Service service(Service::Options{"", true, "", "[quota]\nmax_partial_bytes = \"1MiB\"\n"});
    service.start();
    // Each upload's Upload-Length counts from its first PATCH (the store is told the size):
    // one fits in 1 MiB, two do not.
    const auto bundle = service.dir() / "b.tgz";
    make_bundle(bundle, 1'700'000);
    const auto length = std::filesystem::file_size(bundle);
    REQUIRE(length > 700'000 + (64u << 10));
    REQUIRE(length < (1u << 20));
    const auto piece = service.dir() / "piece";
    sh("head -c 700000 '" + bundle.string() + "' > '" + piece.string() + "'");

    // One upload of 700 kB waits, partial, for the rest; a second one cannot hold as much.
    const auto first = create(service, "first.tgz", length);
    CHECK(patch(service, first, 0, piece).status == 204);
    const auto second = create(service, "second.tgz", length);
    auto refused = patch(service, second, 0, piece);
    CHECK(refused.status == 413);
    CHECK_THAT(refused.body, Catch::Contains("quota: acme may hold at most max_partial_bytes 1 MiB "
                                             "in unfinished uploads ("));
    // The other customer has a quota of its own.
    const auto theirs = curl(service, "/files/",
                             with({"-X", "POST", "-H", "Upload-Length: " + std::to_string(length),
                                   "-H", "Upload-Metadata: filename " + base64("x.tgz")}),
                             "other");
    REQUIRE(theirs.status == 201);
    auto their_patch =
        curl(service, theirs.header("Location"),
             with({"-X", "PATCH", "-H", "Content-Type: application/offset+octet-stream", "-H",
                   "Upload-Offset: 0", "--data-binary", "@" + piece.string()}),
             "other");
    CHECK(their_patch.status == 204);
    // Once the first is given up, a new one fits again.
    CHECK(curl(service, first, with({"-X", "DELETE"})).status == 204);
    const auto third = create(service, "third.tgz", length);
    CHECK(patch(service, third, 0, piece).status == 204);
}
