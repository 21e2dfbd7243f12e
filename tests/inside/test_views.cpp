// `<bundle>.d/` on a real service: for every bundle flavour the validator's corpus accepts
// (Python tarfile, GNU tar gnu/posix/ustar/sparse, bsdtar, pigz, multi-member gzip, star and
// Solaris headers), the view through the read-only mount is what `tar xzf` leaves, entry by
// entry and at random offsets; the support SFTP role sees the same tree; customers do not.
#include <catch2/catch.hpp>

#include <fstream>

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
