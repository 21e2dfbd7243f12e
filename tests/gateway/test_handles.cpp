// The session's handle table and OpenFile's write coalescing, on real files: the bound of 256,
// stale and forged handles, slot reuse, drain; in-order WRITEs reaching the file as one write,
// an out-of-order one flushing first, and a failed write that stays failed.
#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "closed_uploads.hpp"
#include "handles.hpp"
#include "harness.hpp"
#include "sftp_wire.hpp"

using dropgate::UniqueFd;
using dropgate::gateway::HandleTable;
using dropgate::gateway::kCoalesce;
using dropgate::gateway::kMaxCoalescingBuffers;
using dropgate::gateway::OpenFile;
using dropgate::gateway::sftp::kMaxHandles;
using dropgate::test::read_file;
using dropgate::test::TempDir;

namespace {

std::unique_ptr<OpenFile> named(const std::string& path) {
    auto file = std::make_unique<OpenFile>();
    file->path = path;
    return file;
}

// An upload to a real file in `dir`.
std::unique_ptr<OpenFile> upload(const TempDir& dir, const std::string& name) {
    auto file = named("/" + name);
    file->fd =
        UniqueFd(::open((dir / name).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    REQUIRE(file->fd);
    file->writing = true;
    return file;
}

std::uint64_t size_on_disk(const std::filesystem::path& file) {
    return std::filesystem::file_size(file);
}

}  // namespace

TEST_CASE("handles: the table holds 256 open files and refuses the 257th") {
    HandleTable table;
    std::vector<std::string> handles;
    for (std::uint32_t i = 0; i < kMaxHandles; ++i) {
        auto handle = table.add(named("/f" + std::to_string(i)));
        REQUIRE(handle);
        CHECK(handle->size() == 8);
        handles.push_back(*handle);
    }
    CHECK(table.size() == kMaxHandles);
    CHECK_FALSE(table.add(named("/one-too-many")));
    CHECK(table.size() == kMaxHandles);
    for (std::uint32_t i = 0; i < kMaxHandles; ++i) {
        OpenFile* file = table.find(handles[i]);
        REQUIRE(file);
        CHECK(file->path == "/f" + std::to_string(i));  // every handle reaches its own file
    }
    CHECK(table.remove(handles[100])->path == "/f100");
    CHECK(table.add(named("/again")));  // room for one again
}

TEST_CASE("handles: a stale or forged handle finds nothing") {
    HandleTable table;
    std::string handle = *table.add(named("/a"));
    std::string wrong_generation = handle, wrong_slot = handle;
    wrong_generation[7] = char(wrong_generation[7] + 1);
    wrong_slot[3] = char(wrong_slot[3] + 1);
    for (const std::string& forged :
         {std::string(), handle.substr(0, 4), handle.substr(0, 7), handle + '\0', wrong_generation,
          wrong_slot, std::string(8, '\xff'), std::string(256, 'h')}) {
        INFO("forged handle of " << forged.size() << " bytes");
        CHECK(table.find(forged) == nullptr);
        CHECK(table.remove(forged) == nullptr);
    }
    CHECK(table.size() == 1);
    CHECK(table.find(handle)->path == "/a");
}

TEST_CASE("handles: a freed slot is reused under a new generation, the old handle stays dead") {
    HandleTable table;
    std::string first = *table.add(named("/first"));
    std::string keep = *table.add(named("/keep"));
    REQUIRE(table.remove(first));
    CHECK(table.find(first) == nullptr);
    CHECK(table.remove(first) == nullptr);  // a second CLOSE of the same handle
    std::string second = *table.add(named("/second"));
    CHECK(second.substr(0, 4) == first.substr(0, 4));  // the same slot…
    CHECK(second != first);                            // …under another generation
    CHECK(table.find(first) == nullptr);
    CHECK(table.find(second)->path == "/second");
    CHECK(table.find(keep)->path == "/keep");
}

TEST_CASE("handles: drain hands back every open file and leaves the table empty") {
    HandleTable table;
    std::vector<std::string> handles;
    for (const char* path : {"/a", "/b", "/c"}) handles.push_back(*table.add(named(path)));
    table.remove(handles[1]);
    auto drained = table.drain();
    REQUIRE(drained.size() == 2);
    CHECK(drained[0]->path == "/a");
    CHECK(drained[1]->path == "/c");
    CHECK(table.size() == 0);
    for (const auto& handle : handles) CHECK(table.find(handle) == nullptr);
    CHECK(table.add(named("/d")));
}

TEST_CASE("OpenFile: in-order WRITEs are coalesced and reach the file as one write") {
    TempDir dir;
    auto file = upload(dir, "up.tgz");
    file->write(0, "hello ");
    file->write(6, "coalesced ");
    file->write(16, "world");
    CHECK(size_on_disk(dir / "up.tgz") == 0);  // nothing written yet: all of it is pending
    CHECK(file->pending_len == 21);
    CHECK(file->bytes_written == 21);
    CHECK(file->take_error() == 0);
    CHECK(read_file(dir / "up.tgz") == "hello coalesced world");
    CHECK(file->pending_len == 0);
}

TEST_CASE(
    "OpenFile: the buffer grows to 1 MiB, then flushes when full; a larger WRITE goes through") {
    TempDir dir;
    auto file = upload(dir, "big.tgz");
    const std::string chunk(32 * 1024, 'x');
    std::uint64_t offset = 0;
    for (; offset < kCoalesce; offset += chunk.size()) file->write(offset, chunk);
    CHECK(size_on_disk(dir / "big.tgz") == 0);  // 1 MiB held
    CHECK(file->pending_capacity == kCoalesce);
    file->write(offset, chunk);  // does not fit: the full buffer is written first
    CHECK(size_on_disk(dir / "big.tgz") == kCoalesce);
    offset += chunk.size();
    CHECK(file->take_error() == 0);
    const std::string huge(kCoalesce + 1, 'y');
    file->write(offset, huge);  // larger than any buffer: straight to the file
    CHECK(size_on_disk(dir / "big.tgz") == offset + huge.size());
    CHECK(file->pending_len == 0);
}

TEST_CASE("OpenFile: a WRITE that does not continue the buffer flushes it first") {
    TempDir dir;
    auto file = upload(dir, "holes.tgz");
    file->write(0, "0123456789");
    file->write(100, "tail");  // out of order: the first ten bytes must reach the file now
    CHECK(size_on_disk(dir / "holes.tgz") == 10);
    CHECK(file->pending_offset == 100);
    CHECK(file->pending_len == 4);
    file->write(50, "middle");  // backwards: same
    CHECK(size_on_disk(dir / "holes.tgz") == 104);
    CHECK(file->take_error() == 0);
    std::string data = read_file(dir / "holes.tgz");
    REQUIRE(data.size() == 104);
    CHECK(data.substr(0, 10) == "0123456789");
    CHECK(data.substr(50, 6) == "middle");
    CHECK(data.substr(100) == "tail");
}

TEST_CASE("OpenFile: a failed write is sticky and take_error reports it every time") {
    auto file = std::make_unique<OpenFile>();
    file->path = "/full.tgz";
    file->fd = UniqueFd(::open("/dev/full", O_WRONLY | O_CLOEXEC));  // every write: ENOSPC
    REQUIRE(file->fd);
    file->writing = true;
    file->write(0, "coalesced, not yet written");
    CHECK(file->deferred_errno == 0);  // the error can only show when the buffer is written
    CHECK(file->take_error() == ENOSPC);
    CHECK(file->deferred_errno == ENOSPC);
    file->write(26, "more");  // ignored: the upload has failed
    CHECK(file->pending_len == 0);
    CHECK(file->take_error() == ENOSPC);
    CHECK(file->take_error() == ENOSPC);
}

TEST_CASE("OpenFile: at most 4 coalescing buffers per session, a fifth upload writes through") {
    TempDir dir;
    std::vector<std::unique_ptr<OpenFile>> files;
    for (std::size_t i = 0; i <= kMaxCoalescingBuffers; ++i) {
        files.push_back(upload(dir, "u" + std::to_string(i) + ".tgz"));
        files.back()->write(0, "data");
    }
    for (std::size_t i = 0; i < kMaxCoalescingBuffers; ++i)
        CHECK(size_on_disk(dir / ("u" + std::to_string(i) + ".tgz")) == 0);
    CHECK(size_on_disk(dir / ("u" + std::to_string(kMaxCoalescingBuffers) + ".tgz")) == 4);
    files.erase(files.begin());  // an upload ends: its buffer is free for the next one
    files.push_back(upload(dir, "next.tgz"));
    files.back()->write(0, "data");
    CHECK(size_on_disk(dir / "next.tgz") == 0);
    for (auto& file : files) CHECK(file->take_error() == 0);
}

TEST_CASE("closed uploads: the last 16 temporary uploads are remembered, newest first, per path") {
    dropgate::gateway::ClosedUploads closed;
    const std::size_t capacity = dropgate::gateway::ClosedUploads::kCapacity;
    for (std::size_t i = 0; i < capacity + 4; ++i)
        closed.remember(
            {"/u" + std::to_string(i) + ".tgz.part", "id" + std::to_string(i), EBADMSG});
    CHECK(closed.size() == capacity);  // bounded: the oldest are forgotten
    CHECK(closed.find("/u0.tgz.part") == nullptr);
    CHECK(closed.find("/u3.tgz.part") == nullptr);
    REQUIRE(closed.find("/u4.tgz.part"));
    CHECK(closed.find("/u4.tgz.part")->upload_id == "id4");
    // The same name uploaded again: the newer upload answers for it.
    closed.remember({"/u4.tgz.part", "again", 0});
    CHECK(closed.size() == capacity);
    CHECK(closed.find("/u4.tgz.part")->upload_id == "again");
    CHECK(closed.find("/u4.tgz.part")->error == 0);
    closed.forget("/u4.tgz.part");
    CHECK(closed.find("/u4.tgz.part") == nullptr);
    CHECK(closed.size() == capacity - 1);
}
