// The store's handling of one upload's writes, in process (fs/src/upload.hpp): in order, out of
// order, rewritten, with holes, truncated — the verdict and the SHA-256 are those of the bytes
// finally in the file, whichever path checked them (in line from the request, the check thread
// from the page cache, or the re-read at close); and content bad from its first bytes is known
// at once (fail fast).
#include <fcntl.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <numeric>
#include <random>

#include "dropgate/base/unique_fd.hpp"
#include "dropgate/contract/layout.hpp"
#include "judge.hpp"
#include "store_fixture.hpp"
#include "upload.hpp"

using namespace dropgate;
using namespace dropgate::test;

namespace {

struct Bench {
    TempDir dir;
    config::Config config;
    std::optional<fs::Judge> judge;
    int next = 0;

    Bench() {
        config.store.root = dir / "root";
        config.index.database = dir / "root/index.sqlite3";
        std::filesystem::create_directories(contract::Layout(config.store.root).staging());
        judge.emplace(config, false);
    }
    std::unique_ptr<fs::Upload> upload() {
        std::string id = "u" + std::to_string(next++);
        UniqueFd fd(::open((contract::Layout(config.store.root).staged(id)).c_str(),
                           O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        REQUIRE(fd);
        return std::make_unique<fs::Upload>(id, "acme", "x.tgz", 1, std::move(fd), *judge);
    }
};

std::span<const std::uint8_t> bytes_of(const std::string& s, std::size_t from, std::size_t n) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()) + from, std::min(n, s.size() - from)};
}

// Writes `content` in chunks of `chunk` bytes in the order `order` gives (chunk indexes).
void write_chunks(fs::Upload& upload, const std::string& content, std::size_t chunk,
                  const std::vector<std::size_t>& order) {
    for (std::size_t i : order) {
        std::lock_guard lock(upload.mutex);
        REQUIRE(upload.write(bytes_of(content, i * chunk, chunk), i * chunk) == 0);
    }
}

std::vector<std::size_t> indexes(std::size_t count) {
    std::vector<std::size_t> order(count);
    std::iota(order.begin(), order.end(), 0);
    return order;
}

const validator::Verdict& judged(fs::Upload& upload) {
    std::lock_guard lock(upload.mutex);
    return upload.judge();
}

// A ~2.5 MiB bundle (past the in-line check) and a ~20 MiB one (past the separate hash thread).
std::string bundle_of(const TempDir& dir, const std::string& name, std::size_t random_bytes) {
    auto made = sh("cd '" + dir.path().string() + "' && head -c " + std::to_string(random_bytes) +
                   " /dev/urandom > core.bin && seq 1 200000 > app.log && tar -czf '" + name +
                   "' core.bin app.log");
    REQUIRE(made.exit_code == 0);
    return read_file(dir / name);
}

}  // namespace

TEST_CASE("writes in order, reversed, shuffled or rewritten give the file's verdict and SHA-256") {
    Bench bench;
    // 200 KiB: checked in line from each request; 2 MiB: its first MiB in line, the rest read
    // back by the check thread; 20 MiB: the hash on a thread of its own too. Rewritten with
    // other bytes, each is re-read at close. All must agree with the file.
    for (std::size_t random_bytes :
         {std::size_t(200) << 10, std::size_t(2) << 20, std::size_t(20) << 20}) {
        const std::string content = bundle_of(bench.dir, "b.tgz", random_bytes);
        const std::string sha = sha256_of(bench.dir / "b.tgz");
        for (std::size_t chunk : {std::size_t(65536), std::size_t(1) << 20}) {
            const std::size_t count = (content.size() + chunk - 1) / chunk;
            auto order = indexes(count);
            std::vector<std::pair<std::string, std::vector<std::size_t>>> orders = {
                {"in order", order}};
            std::reverse(order.begin(), order.end());
            orders.push_back({"reversed", order});
            std::shuffle(order.begin(), order.end(), std::mt19937(7));
            orders.push_back({"shuffled", order});
            auto twice = indexes(count);  // every chunk written twice, the second time late
            for (std::size_t i = 0; i < count; i += 3) twice.push_back(i);
            orders.push_back({"rewritten with the same bytes", twice});
            for (const auto& [how, sequence] : orders) {
                INFO(content.size() << " bytes, chunks of " << chunk << ", " << how);
                auto upload = bench.upload();
                write_chunks(*upload, content, chunk, sequence);
                const auto& verdict = judged(*upload);
                CHECK(verdict.accepted);
                CHECK(verdict.sha256 == sha);
                CHECK(verdict.bytes == content.size());
                CHECK_FALSE(upload->doomed());
            }
        }
    }
}

TEST_CASE("bytes changed after they were checked are checked again: corrupt, then mended") {
    Bench bench;
    const std::string content = bundle_of(bench.dir, "b.tgz", std::size_t(3) << 20);
    const std::size_t chunk = 1 << 20;
    auto upload = bench.upload();
    std::string broken = content;
    for (std::size_t i = 2 << 20; i < (2 << 20) + 4096; ++i) broken[i] ^= 0x5a;
    write_chunks(*upload, broken, chunk, indexes((content.size() + chunk - 1) / chunk));
    write_chunks(*upload, content, chunk, {2});  // the damaged MiB written again, correctly
    const auto& verdict = judged(*upload);
    CHECK(verdict.accepted);
    CHECK(verdict.sha256 == sha256_of(bench.dir / "b.tgz"));
}

TEST_CASE("a hole never written reads as zeros and is refused, and a truncation is judged too") {
    Bench bench;
    const std::string content = bundle_of(bench.dir, "b.tgz", std::size_t(3) << 20);
    const std::size_t chunk = 1 << 20, count = (content.size() + chunk - 1) / chunk;
    auto holed = bench.upload();
    auto order = indexes(count);
    order.erase(order.begin() + 1);  // the second MiB is never written
    write_chunks(*holed, content, chunk, order);
    CHECK_FALSE(judged(*holed).accepted);

    auto cut = bench.upload();
    write_chunks(*cut, content, chunk, indexes(count));
    {
        std::lock_guard lock(cut->mutex);
        REQUIRE(cut->truncate(content.size() / 2) == 0);
    }
    const auto& verdict = judged(*cut);
    CHECK_FALSE(verdict.accepted);
    CHECK_THAT(verdict.reason, Catch::StartsWith("truncated: gzip stream ends at byte " +
                                                 std::to_string(content.size() / 2)));
}

TEST_CASE("content bad from its first bytes dooms the upload at that write, in line or not") {
    Bench bench;
    std::string zip = "PK\x03\x04" + std::string(5 << 20, 'z');
    for (std::size_t first : {std::size_t(4096), std::size_t(3) << 20}) {
        INFO("first write of " << first << " bytes");
        auto upload = bench.upload();
        {
            std::lock_guard lock(upload->mutex);
            REQUIRE(upload->write(bytes_of(zip, 0, first), 0) == 0);
        }
        // The in-line check knows at once; the check thread within its backlog: poll briefly.
        for (int i = 0; i < 500 && !upload->doomed(); ++i) {
            std::lock_guard lock(upload->mutex);
            REQUIRE(upload->write(bytes_of(zip, first + i * 4096, 4096), first + i * 4096) == 0);
        }
        CHECK(upload->doomed());
        const auto& verdict = judged(*upload);
        CHECK(verdict.error == EBADMSG);
        CHECK(verdict.reason == "not gzip (bad magic 50 4b 03 04: looks like zip)");
    }
    // Known by the check thread, behind the writer: a first gzip member of 3 MiB whose CRC is
    // wrong, followed by more data.
    auto made = sh(
        "cd '" + bench.dir.path().string() +
        "' && head -c 3000000 /dev/urandom > core.bin && tar -cf - core.bin | gzip -1 > m1.gz && "
        "head -c 8000000 /dev/urandom | gzip -1 > "
        "m2.gz");
    REQUIRE(made.exit_code == 0);
    std::string first_member = read_file(bench.dir / "m1.gz");
    first_member[first_member.size() - 8] ^= 0x01;  // the CRC-32 in its trailer
    const std::string members = first_member + read_file(bench.dir / "m2.gz");
    auto late = bench.upload();
    for (std::size_t at = 0; at < members.size() && !late->doomed(); at += 65536) {
        std::lock_guard lock(late->mutex);
        REQUIRE(late->write(bytes_of(members, at, 65536), at) == 0);
    }
    CHECK(late->doomed());
    CHECK(judged(*late).reason == "gzip CRC mismatch in member 1");

    // A valid prefix is never doomed: truncation can only be known at the end.
    const std::string content = bundle_of(bench.dir, "b.tgz", std::size_t(2) << 20);
    auto upload = bench.upload();
    write_chunks(*upload, content.substr(0, content.size() / 2), 65536,
                 indexes((content.size() / 2 + 65535) / 65536));
    CHECK_FALSE(upload->doomed());
}
