// `<bundle>.d/` on a real service: for every bundle flavour the validator's corpus accepts
// (Python tarfile, GNU tar gnu/posix/ustar/sparse, bsdtar, pigz, multi-member gzip, star and
// Solaris headers), the view through the read-only mount is what `tar xzf` leaves, entry by
// entry and at random offsets; the support SFTP role sees the same tree; customers do not.
#include <catch2/catch.hpp>

#include <fstream>

#include "dropgate/base/sanitizers.hpp"
#include "harness.hpp"
#include "service_fixture.hpp"

using namespace dropgate::test;

namespace {

std::vector<std::string> accepted_corpus(const TempDir& dir) {
    REQUIRE(run({"/usr/bin/python3", (tests_dir() / "validator/make_corpus.py").string(),
                 dir.path().string(), "valid"})
                .exit_code == 0);
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        if (entry.path().extension() != ".expect") continue;
        std::ifstream expect(entry.path());
        std::string first;
        std::getline(expect, first);
        if (first == "OK") names.push_back(entry.path().stem().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

RunResult compare(const std::filesystem::path& view, const std::filesystem::path& extracted) {
    return run({"/usr/bin/python3", (tests_dir() / "inside/compare_tree.py").string(),
                view.string(), extracted.string()});
}

struct ReadOnlyMount {
    explicit ReadOnlyMount(const Service& service) {
        REQUIRE(run({dropgate_bin(), "mount", "-c", service.config_file().string(), "--read-only",
                     dir.path().string()})
                    .exit_code == 0);
    }
    ~ReadOnlyMount() { sh("fusermount3 -u '" + dir.path().string() + "'"); }
    TempDir dir;
};

}  // namespace

TEST_CASE("every accepted flavour reads through <bundle>.d/ as tar xzf leaves it") {
    TempDir corpus, extracted;
    const auto names = accepted_corpus(corpus);
    REQUIRE(names.size() >= 20);
    Service service;
    service.start();
    for (const auto& name : names) {
        INFO(name);
        REQUIRE(service.scp_upload("acme", corpus / (name + ".tgz"), name + ".tgz").exit_code == 0);
        std::filesystem::create_directories(extracted / name);
        sh("tar -xzf '" + (corpus / (name + ".tgz")).string() + "' -C '" +
           (extracted / name).string() + "'");
    }
    ReadOnlyMount mount(service);
    for (const auto& name : names) {
        INFO(name);
        auto result = compare(mount.dir / "acme" / (name + ".tgz.d"), extracted / name);
        INFO(result.out + result.err);
        CHECK(result.exit_code == 0);
    }
    CHECK(service.stop() == 0);
}

namespace {

void make_bundle_of(const std::string& kind, const std::filesystem::path& out,
                    const std::vector<std::string>& more = {}) {
    std::vector<std::string> args{
        "/usr/bin/python3", (tests_dir() / "inside/make_bundles.py").string(), kind, out.string()};
    args.insert(args.end(), more.begin(), more.end());
    REQUIRE(run(args).exit_code == 0);
}

long rss_kib(pid_t pid) {
    auto status = read_file("/proc/" + std::to_string(pid) + "/status");
    auto at = status.find("VmRSS:");
    return at == std::string::npos ? -1 : std::stol(status.substr(at + 6));
}

}  // namespace

TEST_CASE(
    "a view never leads out of its bundle: symlinks stay symlinks, nothing below one, "
    "no devices, a path twice reads as the later with an xattr saying so") {
    TempDir dir;
    make_bundle_of("hostile", dir / "h.tgz");
    Service::Options options;
    options.http = true;
    Service service(options);
    service.start();
    REQUIRE(service.scp_upload("acme", dir / "h.tgz", "h.tgz").exit_code == 0);
    ReadOnlyMount mount(service);
    const auto view = mount.dir / "acme/h.tgz.d";
    CHECK(std::filesystem::is_symlink(view / "passwd"));
    CHECK(std::filesystem::read_symlink(view / "passwd") == "/etc/passwd");
    CHECK(std::filesystem::read_symlink(view / "lnk") == "/tmp");
    auto listing = sh("cd '" + view.string() + "' && find . | sort");
    CHECK(listing.out == ".\n./a\n./a/b.txt\n./lnk\n./passwd\n./twice.txt\n./up\n");
    CHECK(read_file(view / "twice.txt") == "second\n");
    auto xattrs = [](const std::filesystem::path& file) {
        return run({"/usr/bin/python3", "-c",
                    "import os,sys; print(*(n + '=' + os.getxattr(sys.argv[1], n).decode() "
                    "for n in os.listxattr(sys.argv[1])))",
                    file.string()})
            .out;
    };
    CHECK(xattrs(view / "twice.txt") == "user.dropgate.occurrences=2\n");
    CHECK(xattrs(view / "a/b.txt") == "\n");
    // Nothing can be written, in either mount.
    CHECK(sh("echo x > '" + (view / "new").string() + "'").exit_code != 0);
    CHECK(sh("touch '" + (service.mount() / "acme/h.tgz.d/new").string() + "'").exit_code != 0);
    CHECK(sh("mkdir '" + (service.mount() / "acme/other.tgz.d").string() + "'").exit_code != 0);

    // The support role sees the tree over SFTP; its symlinks resolve inside the store, so the
    // host's /etc/passwd is never what a link gives.
    auto support = service.sftp("help", "ls -l acme/h.tgz.d\nget acme/h.tgz.d/twice.txt " +
                                            (dir / "twice").string() + "\n");
    CHECK(support.exit_code == 0);
    CHECK_THAT(support.out, Catch::Matches("(.|\n)*lrwxrwxrwx [^\n]* passwd\n(.|\n)*"));
    CHECK(read_file(dir / "twice") == "second\n");
    CHECK(
        service.sftp("help", "get acme/h.tgz.d/passwd " + (dir / "p").string() + "\n").exit_code !=
        0);
    CHECK_FALSE(std::filesystem::exists(dir / "p"));
    // A customer's tree has no views (they are the support role's).
    auto customer = service.sftp("acme", "ls -1\n");
    CHECK_THAT(customer.out, Catch::Contains("h.tgz"));
    CHECK(customer.out.find("h.tgz.d") == std::string::npos);
    CHECK(service.sftp("acme", "get h.tgz.d/twice.txt " + (dir / "c").string() + "\n").exit_code !=
          0);
    CHECK(service.sftp("acme", "mkdir x.tgz.d\n").exit_code != 0);

    // Over HTTPS support downloads a member (with Range); links and customers get 404.
    auto get = [&](const std::string& user, const std::string& path, const std::string& more) {
        return sh("curl -s --cacert '" + service.http_cert().string() +
                  "' -H 'Authorization: Bearer " + service.token(user) + "' " + more + " " +
                  service.http_url() + "/download/" + path + " -w ' %{http_code}'")
            .out;
    };
    CHECK(get("help", "acme/h.tgz.d/twice.txt", "") == "second\n 200");
    CHECK(get("help", "acme/h.tgz.d/twice.txt", "-r 1-3") == "eco 206");
    CHECK(get("help", "acme/h.tgz.d/a/b.txt", "") == "inside a\n 200");
    CHECK_THAT(get("help", "acme/h.tgz.d/passwd", ""), Catch::EndsWith(" 404"));
    CHECK_THAT(get("help", "acme/h.tgz.d/up/passwd", ""), Catch::EndsWith(" 404"));
    CHECK_THAT(get("help", "acme/h.tgz.d/a", ""), Catch::EndsWith(" 404"));
    CHECK_THAT(get("acme", "h.tgz.d/twice.txt", ""), Catch::EndsWith(" 404"));
    CHECK(service.stop() == 0);
}

TEST_CASE("a million-member bundle lists through its view with the store's memory bounded") {
    TempDir dir;
    make_bundle_of("many", dir / "many.tgz", {"1000000", "1000"});
    Service service;
    service.start();
    REQUIRE(service.scp_upload("acme", dir / "many.tgz", "many.tgz").exit_code == 0);
    const pid_t store = service.part_pid("store_pid");
    const long before = rss_kib(store);
    auto count = sh("find '" + (service.mount() / "acme/many.tgz.d").string() + "' | wc -l");
    CHECK(count.out == "1001001\n");  // the view, 1,000 directories, a million files
    auto member = service.mount() / "acme/many.tgz.d/d0999/f0999999.txt";
    CHECK(read_file(member) == "999999\n");
    const long grown = rss_kib(store) - before;
    INFO("store RSS grew by " << grown << " KiB");
    if (dropgate::kAddressSanitizer)  // its quarantine and redzones are not the store's memory
        WARN("sanitize build: the store's RSS bound is not checked (grew " << grown << " KiB)");
    else
        CHECK(grown < 400 * 1024);
    CHECK(service.stop() == 0);
}

TEST_CASE("the last member of a 1 GiB bundle reads through its view inflating only its own bytes") {
    TempDir dir;
    // 1.1 GB of incompressible members, then a text one: one gzip stream (pigz) over it all.
    REQUIRE(sh("cd '" + dir.path().string() +
               "' && mkdir -p src/big src/logs && for i in $(seq 1 9); do head -c 120M "
               "/dev/urandom > src/big/part-$i.bin; done && seq 1 2000000 > src/logs/last.log && "
               "tar -C src -cf - big logs | pigz -1 -p 2 > big.tgz")
                .exit_code == 0);
    REQUIRE(std::filesystem::file_size(dir / "big.tgz") > (1ull << 30));
    Service service;
    service.start();
    REQUIRE(sh("cp '" + (dir / "big.tgz").string() + "' '" +
               (service.mount() / "acme/big.tgz").string() + "'")
                .exit_code == 0);
    const std::string sha = sha256_of(dir / "big.tgz");
    REQUIRE(wait_until(
        [&] { return std::filesystem::exists(service.root() / (".seek/" + sha + ".seek")); },
        std::chrono::seconds(180)));

    const auto read_before = service.metric("dropgate_view_bytes_read_total");
    const auto inflated_before = service.metric("dropgate_view_bytes_inflated_total");
    const auto member = service.mount() / "acme/big.tgz.d/logs/last.log";
    CHECK(sha256_of(member) == sha256_of(dir / "src/logs/last.log"));
    const auto size = std::filesystem::file_size(dir / "src/logs/last.log");
    const auto read = service.metric("dropgate_view_bytes_read_total") - read_before;
    const auto inflated = service.metric("dropgate_view_bytes_inflated_total") - inflated_before;
    INFO("read " << read << ", inflated " << inflated << " for a member of " << size);
    CHECK(read == size);
    // Its own bytes plus what lies between the nearest seek point (2 MiB apart) and its start:
    // not the gigabyte before it.
    CHECK(inflated >= size);
    CHECK(inflated <= size + (3u << 20));
    CHECK(service.stop() == 0);
}
