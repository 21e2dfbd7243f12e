// Read-through of replicated bundles (spec §12): a bundle whose local copy is gone is read from
// its object with ranged GETs of 1 MiB blocks, kept in a bounded cache directory (oldest blocks
// evicted first), so the mount serves it byte for byte like a local one. Small blocks keep the
// first byte quick; two read-ahead threads keep up to 32 blocks ahead on their way, 16 per GET,
// while a reader works through one, so a sequential read streams. Thread-safe: FUSE workers call
// read() at once; one block is fetched once however many readers wait for it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "dropgate/base/unique_fd.hpp"
#include "dropgate/config/config.hpp"

namespace dropgate::objstore {

class S3Client;

struct RemoteObject {
    std::string key;
    std::string sha256;  // names the cached blocks: the same bytes under any key share them
    std::uint64_t size = 0;
};

class RemoteReader {
  public:
    static constexpr std::uint64_t kBlock = 1ull << 20;
    static constexpr std::uint64_t kReadAhead = 32;  // blocks; half of it per GET

    RemoteReader(const config::Replicate& replicate, std::filesystem::path cache_dir,
                 std::uint64_t cache_size);
    ~RemoteReader();

    // Reads up to out.size() bytes at `offset` (fewer only at the end of the object). Throws
    // S3Error or std::system_error.
    std::size_t read(const RemoteObject& object, std::uint64_t offset, std::span<char> out);

  private:
    void read_ahead(const RemoteObject& object, std::uint64_t index);
    void prefetch_loop(std::stop_token stop);
    UniqueFd cached_block(const RemoteObject& object, std::uint64_t index);
    void fetch(const RemoteObject& object, std::uint64_t first, std::uint64_t count);
    // Blocks [first, first + count) are no longer on their way (fetched or failed).
    void finish_fetching(const RemoteObject& object, std::uint64_t first, std::uint64_t count);
    void evict();
    std::unique_ptr<S3Client> take_client();
    void give_back(std::unique_ptr<S3Client> client);

    const config::Replicate& replicate_;
    const std::filesystem::path cache_dir_;
    const std::uint64_t cache_size_;
    std::mutex mutex_;
    std::condition_variable fetched_;
    std::set<std::string> fetching_;
    std::uint64_t used_ = 0;  // bytes in the cache directory (rescanned when evicting)
    std::vector<std::unique_ptr<S3Client>> idle_clients_;
    struct Wanted {  // a run of blocks to read ahead, already reserved in fetching_
        RemoteObject object;
        std::uint64_t first = 0, count = 0;
    };
    std::deque<Wanted> wanted_;  // oldest first
    std::condition_variable_any wanted_changed_;
    std::once_flag prefetchers_started_;
    std::vector<std::jthread> prefetchers_;  // last: joined first
};

}  // namespace dropgate::objstore
