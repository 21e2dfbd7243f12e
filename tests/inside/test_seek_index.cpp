// The seek index against the real thing: every read through it equals the same bytes of
// `gzip -dc`, for gzip, pigz and multi-member files, from any offset.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>

#include "dropgate/base/unique_fd.hpp"
#include "dropgate/inside/seek_index.hpp"
#include "dropgate/inside/seek_store.hpp"
#include "harness.hpp"
#include "service_fixture.hpp"

using namespace dropgate;
using namespace dropgate::test;
using inside::SeekIndex;

namespace {

UniqueFd open_file(const std::filesystem::path& file) {
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd);
    return fd;
}

// 300 reads at random offsets and sizes (and the very end) agree with the inflated file.
void check_reads(const std::filesystem::path& gz, const SeekIndex& index) {
    const auto raw_file = gz.string() + ".raw";
    REQUIRE(sh("gzip -dc '" + gz.string() + "' > '" + raw_file + "'").exit_code == 0);
    const std::string raw = read_file(raw_file);
    REQUIRE(index.uncompressed_size == raw.size());
    UniqueFd fd = open_file(gz);
    inside::SeekReader reader(fd.get(), index);
    std::mt19937_64 random(42);
    for (int i = 0; i < 300; ++i) {
        std::uint64_t offset = i == 0 ? raw.size() - 1 : random() % raw.size();
        std::size_t size = std::vector<std::size_t>{1, 4096, 100000, 3 << 20}[random() % 4];
        std::string got(size, '\0');
        got.resize(reader.read(offset, {got.data(), got.size()}));
        INFO("offset " << offset << " size " << size);
        REQUIRE(got == raw.substr(offset, size));
    }
    std::string none(16, '\0');
    CHECK(reader.read(raw.size(), {none.data(), none.size()}) == 0);
}

}  // namespace

TEST_CASE("reads through the seek index equal gzip -dc at any offset (GNU tar + gzip)") {
    TempDir dir;
    make_bundle(dir / "b.tgz", 24 << 20);
    UniqueFd fd = open_file(dir / "b.tgz");
    auto index = inside::build_seek_index(fd.get(), 512 << 10);
    CHECK(index.points.size() > 10);
    CHECK(index.compressed_size == std::filesystem::file_size(dir / "b.tgz"));
    check_reads(dir / "b.tgz", index);

    // Reaching the last byte inflates about one spacing, not the whole stream.
    inside::SeekReader reader(fd.get(), index);
    char last = 0;
    REQUIRE(reader.read(index.uncompressed_size - 1, {&last, 1}) == 1);
    CHECK(reader.inflated() <= (512u << 10) + (1u << 20));
    CHECK(index.uncompressed_size > 8 * reader.inflated());
}

TEST_CASE("pigz output and multi-member gzip files index and read the same") {
    TempDir dir;
    make_bundle(dir / "a.tgz", 6 << 20);
    REQUIRE(sh("gzip -dc '" + (dir / "a.tgz").string() + "' | pigz -p 2 -b 128 > '" +
               (dir / "pigz.tgz").string() + "'")
                .exit_code == 0);
    REQUIRE(sh("cat '" + (dir / "a.tgz").string() + "' '" + (dir / "pigz.tgz").string() + "' '" +
               (dir / "a.tgz").string() + "' > '" + (dir / "multi.gz").string() + "'")
                .exit_code == 0);
    for (const char* name : {"pigz.tgz", "multi.gz"}) {
        INFO(name);
        UniqueFd fd = open_file(dir / name);
        auto index = inside::build_seek_index(fd.get(), 256 << 10);
        check_reads(dir / name, index);
        if (std::string(name) == "multi.gz") {
            int starts = 0;
            for (const auto& point : index.points) starts += point.member_start;
            CHECK(starts == 3);
        }
    }
}

TEST_CASE("the seek index is small, round-trips its encoding and refuses what is not one") {
    TempDir dir;
    make_bundle(dir / "b.tgz", 48 << 20);
    UniqueFd fd = open_file(dir / "b.tgz");
    auto index = inside::build_seek_index(fd.get());
    const double share = static_cast<double>(index.encoded_size()) /
                         static_cast<double>(std::filesystem::file_size(dir / "b.tgz"));
    INFO("index is " << share * 100 << " % of the bundle");
    CHECK(share <= 0.02);
    const std::string encoded = index.serialize();
    CHECK(encoded.size() == index.encoded_size());
    auto back = SeekIndex::parse(encoded);
    REQUIRE(back.points.size() == index.points.size());
    CHECK(back.uncompressed_size == index.uncompressed_size);
    check_reads(dir / "b.tgz", back);
    CHECK_THROWS_AS(SeekIndex::parse("DGSEEK2\nshort"), inside::SeekIndexError);
    CHECK_THROWS_AS(SeekIndex::parse(encoded.substr(0, encoded.size() / 2)),
                    inside::SeekIndexError);
    CHECK_THROWS_AS(SeekIndex::parse("not an index at all"), inside::SeekIndexError);

    // Stored, it loads as its point table alone and reads each window from the file when used.
    inside::save_seek_index(dir / "b.seek", index);
    CHECK(read_file(dir / "b.seek") == encoded);
    auto loaded = inside::load_seek_index(dir / "b.seek");
    REQUIRE(loaded);
    CHECK(loaded->points.size() == index.points.size());
    CHECK(loaded->encoded_size() == index.encoded_size());
    CHECK(loaded->resident_bytes() < 64 * 1024);
    CHECK(loaded->serialize() == encoded);
    check_reads(dir / "b.tgz", *loaded);
    // Another version, a cut file or one with bytes after its windows is no index: rebuilt.
    std::string older = encoded;
    older[6] = '1';
    for (const auto& bad :
         {older, encoded.substr(0, encoded.size() - 1), encoded + "x", encoded.substr(0, 100)}) {
        write_file(dir / "bad.seek", bad);
        CHECK_FALSE(inside::load_seek_index(dir / "bad.seek"));
    }
}

TEST_CASE("a cut or corrupt gzip stream is refused while indexing") {
    TempDir dir;
    make_bundle(dir / "b.tgz", 2 << 20);
    const std::string bytes = read_file(dir / "b.tgz");
    write_file(dir / "cut.tgz", bytes.substr(0, bytes.size() / 2));
    UniqueFd cut = open_file(dir / "cut.tgz");
    CHECK_THROWS_AS(inside::build_seek_index(cut.get()), inside::SeekIndexError);
    std::string corrupt = bytes;
    for (std::size_t i = 1000; i < 1100; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
    write_file(dir / "corrupt.tgz", corrupt);
    UniqueFd bad = open_file(dir / "corrupt.tgz");
    CHECK_THROWS_AS(inside::build_seek_index(bad.get()), inside::SeekIndexError);
}
