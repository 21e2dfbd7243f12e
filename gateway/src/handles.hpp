// The session's private handle table: a bounded array of open files and directories.
// A handle on the wire is 8 bytes: slot index and a generation, so a stale or forged handle
// never reaches another file.
//
// Uploads go through a write-coalescing buffer (kCoalesce bytes): consecutive WRITEs are
// appended and reach the store as one large pwrite (fewer FUSE round trips). A failed
// flush is remembered and reported on the next request for that handle, at the latest CLOSE.
#pragma once

#include <dirent.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dropgate/base/dir.hpp"
#include "dropgate/base/unique_fd.hpp"

namespace dropgate::gateway {

// A buffer starts at kCoalesceStart and grows once to kCoalesce when an upload outgrows it:
// large uploads reach the store in 1 MiB writes, while a small bundle (most of them) never
// touches more than 256 KiB of fresh memory (page faults were 8% of a 250 KiB upload's session
// CPU with a 1 MiB buffer up front). Buffers come from the session's heap, which keeps them.
constexpr std::size_t kCoalesceStart = 256 << 10;
constexpr std::size_t kCoalesce = 1 << 20;
constexpr std::size_t kMaxCoalescingBuffers = 4;  // per session: bounded memory

struct OpenFile {
    OpenFile() = default;
    ~OpenFile();
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;

    std::string path;  // normalised, as the client sees it
    UniqueFd fd;
    Dir dir;  // set for OPENDIR handles
    bool writing = false;
    std::string upload_id;  // set for uploads
    std::uint64_t bytes_written = 0;
    std::uint64_t resume_at = 0;  // an interrupted upload continued: where it went on

    // Coalescing buffer (uploads only, allocated on first WRITE).
    std::unique_ptr<char[]> pending;
    std::size_t pending_capacity = 0;
    std::size_t pending_len = 0;
    std::uint64_t pending_offset = 0;
    int deferred_errno = 0;  // a failed write: sticky, every later request on the handle fails
    bool reported = false;   // the refusal went to the client's stderr already

    // Queues `data` at `offset`; flushes first if it does not continue the buffer.
    void write(std::uint64_t offset, std::string_view data);
    // Writes out the buffer; on failure records deferred_errno.
    void flush();
    // Allocates the buffer, or replaces it by a kCoalesce one; leaves it as it is if it cannot.
    void grow();
    // Flushes and returns the (sticky) write error, 0 if none.
    int take_error();
};

class HandleTable {
  public:
    // Returns the wire handle, or nullopt if the table is full.
    std::optional<std::string> add(std::unique_ptr<OpenFile> file);
    // nullptr if the handle is unknown or stale.
    OpenFile* find(std::string_view handle) const;
    std::unique_ptr<OpenFile> remove(std::string_view handle);
    std::size_t size() const { return used_; }
    // Everything still open when the session ends.
    std::vector<std::unique_ptr<OpenFile>> drain();

  private:
    struct Slot {
        std::unique_ptr<OpenFile> file;
        std::uint32_t generation = 0;
    };
    std::optional<std::uint32_t> slot_of(std::string_view handle) const;
    std::vector<Slot> slots_;
    std::size_t used_ = 0;
};

}  // namespace dropgate::gateway
