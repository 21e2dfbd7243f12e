#include "dropgate/objstore/remote_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>

#include "dropgate/objstore/s3_client.hpp"

namespace dropgate::objstore {

namespace {

namespace fs = std::filesystem;

std::string block_name(const RemoteObject& object, std::uint64_t index) {
    return object.sha256 + "-" + std::to_string(index);
}

std::uint64_t directory_bytes(const fs::path& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file(ec)) total += entry.file_size(ec);
    return total;
}

void write_all(int fd, const char* data, std::size_t size, const fs::path& file) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            throw std::system_error(errno, std::generic_category(), "write " + file.string());
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

}  // namespace

RemoteReader::RemoteReader(const config::Replicate& replicate, fs::path cache_dir,
                           std::uint64_t cache_size)
    : replicate_(replicate), cache_dir_(std::move(cache_dir)), cache_size_(cache_size) {
    fs::create_directories(cache_dir_);
    used_ = directory_bytes(cache_dir_);
}

RemoteReader::~RemoteReader() {
    for (auto& thread : prefetchers_) thread.request_stop();
    wanted_changed_.notify_all();
    prefetchers_.clear();
}

// The blocks after `index` that are neither cached nor on their way are reserved (in fetching_,
// so a reader waits for them rather than fetching them twice) and queued as one run: one GET
// for up to kReadAhead blocks keeps a sequential read streaming.
void RemoteReader::read_ahead(const RemoteObject& object, std::uint64_t index) {
    // Started on first use, not in the constructor: `dropgate mount` forks into the background
    // after building the filesystem, and a fork keeps only the calling thread.
    std::call_once(prefetchers_started_, [this] {
        for (int i = 0; i < 2; ++i)
            prefetchers_.emplace_back([this](std::stop_token stop) { prefetch_loop(stop); });
    });
    const std::uint64_t blocks = (object.size + kBlock - 1) / kBlock;
    auto present = [&](std::uint64_t block) {
        const std::string name = block_name(object, block);
        return fetching_.contains(name) || ::access((cache_dir_ / name).c_str(), F_OK) == 0;
    };
    std::lock_guard lock(mutex_);
    // Nothing to do while at least half a window ahead is cached or on its way; then one run
    // of half a window from the first block missing: each GET is large, and two can be in
    // flight while the reader works through what came before.
    std::uint64_t first = index + 1;
    while (first < blocks && first <= index + kReadAhead && present(first)) ++first;
    if (first >= blocks || first > index + kReadAhead / 2) return;
    Wanted run{object, first, 0};
    while (run.first + run.count < blocks && run.count < kReadAhead / 2 &&
           !present(run.first + run.count)) {
        fetching_.insert(block_name(object, run.first + run.count));
        ++run.count;
    }
    if (run.count == 0) return;
    wanted_.push_back(std::move(run));
    wanted_changed_.notify_one();
}

void RemoteReader::prefetch_loop(std::stop_token stop) {
    for (;;) {
        Wanted run;
        {
            std::unique_lock lock(mutex_);
            if (!wanted_changed_.wait(lock, stop, [&] { return !wanted_.empty(); })) return;
            run = std::move(wanted_.front());
            wanted_.pop_front();
        }
        try {
            fetch(run.object, run.first, run.count);
        } catch (const std::exception&) {
            // A reader that needs one of these blocks fetches it itself and reports what fails.
        }
        finish_fetching(run.object, run.first, run.count);
    }
}

void RemoteReader::finish_fetching(const RemoteObject& object, std::uint64_t first,
                                   std::uint64_t count) {
    bool over = false;
    {
        std::lock_guard lock(mutex_);
        for (std::uint64_t i = first; i < first + count; ++i)
            fetching_.erase(block_name(object, i));
        fetched_.notify_all();
        over = used_ > cache_size_;
    }
    if (over) evict();
}

std::unique_ptr<S3Client> RemoteReader::take_client() {
    {
        std::lock_guard lock(mutex_);
        if (!idle_clients_.empty()) {
            auto client = std::move(idle_clients_.back());
            idle_clients_.pop_back();
            return client;
        }
    }
    return std::make_unique<S3Client>(replicate_, nullptr);  // reads are not rate-capped
}

void RemoteReader::give_back(std::unique_ptr<S3Client> client) {
    std::lock_guard lock(mutex_);
    idle_clients_.push_back(std::move(client));
}

// GETs blocks [first, first + count) in one request and stores each as its own cache file.
void RemoteReader::fetch(const RemoteObject& object, std::uint64_t first, std::uint64_t count) {
    const std::uint64_t offset = first * kBlock;
    std::vector<char> bytes(
        static_cast<std::size_t>(std::min(count * kBlock, object.size - offset)));
    auto client = take_client();
    std::size_t got = client->get(object.key, offset, bytes);
    give_back(std::move(client));
    if (got != bytes.size())
        throw S3Error(S3Error::Kind::integrity, 206, "ShortRead",
                      "GET " + object.key + ": " + std::to_string(got) + " of " +
                          std::to_string(bytes.size()) + " bytes at " + std::to_string(offset));
    for (std::uint64_t i = 0; i * kBlock < bytes.size(); ++i) {
        const fs::path file = cache_dir_ / block_name(object, first + i);
        const std::size_t size =
            static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, bytes.size() - i * kBlock));
        // Written aside and renamed: a reader never sees half a block, a crash leaves a temp.
        fs::path temp = file.string() + ".tmp" + std::to_string(::gettid());
        UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (!fd) throw std::system_error(errno, std::generic_category(), "create " + temp.string());
        write_all(fd.get(), bytes.data() + i * kBlock, size, temp);
        fd.reset();
        if (::rename(temp.c_str(), file.c_str()) != 0)
            throw std::system_error(errno, std::generic_category(), "rename " + temp.string());
    }
    std::lock_guard lock(mutex_);
    used_ += bytes.size();
}

// The oldest blocks (by mtime, which a hit refreshes) go until the cache is at 90 % of its size.
void RemoteReader::evict() {
    struct Block {
        fs::file_time_type when;
        fs::path path;
        std::uint64_t size;
    };
    std::vector<Block> blocks;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(cache_dir_, ec))
        if (entry.is_regular_file(ec))
            blocks.push_back({entry.last_write_time(ec), entry.path(), entry.file_size(ec)});
    std::sort(blocks.begin(), blocks.end(), [](auto& a, auto& b) { return a.when < b.when; });
    std::uint64_t total = 0;
    for (const auto& block : blocks) total += block.size;
    for (const auto& block : blocks) {
        if (total <= cache_size_ / 10 * 9) break;
        if (fs::remove(block.path, ec)) total -= block.size;
    }
    std::lock_guard lock(mutex_);
    used_ = total;
}

UniqueFd RemoteReader::cached_block(const RemoteObject& object, std::uint64_t index) {
    const fs::path file = cache_dir_ / block_name(object, index);
    const std::string name = file.filename().string();
    for (;;) {
        UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
        if (fd) {
            ::futimens(fd.get(), nullptr);  // recently used: evicted last
            return fd;
        }
        std::unique_lock lock(mutex_);
        if (fetching_.contains(name)) {
            fetched_.wait(lock, [&] { return !fetching_.contains(name); });
            continue;  // fetched by another reader or read-ahead (or failed: try ourselves)
        }
        fetching_.insert(name);
        lock.unlock();
        try {
            fetch(object, index, 1);
        } catch (...) {
            finish_fetching(object, index, 1);
            throw;
        }
        finish_fetching(object, index, 1);
    }
}

std::size_t RemoteReader::read(const RemoteObject& object, std::uint64_t offset,
                               std::span<char> out) {
    std::size_t done = 0;
    while (done < out.size() && offset + done < object.size) {
        const std::uint64_t position = offset + done;
        const std::uint64_t index = position / kBlock, within = position % kBlock;
        const std::size_t want = static_cast<std::size_t>(
            std::min<std::uint64_t>({out.size() - done, kBlock - within, object.size - position}));
        UniqueFd fd = cached_block(object, index);
        // Once per block a reader enters (the kernel reads 128 KiB at a time).
        thread_local std::pair<std::string, std::uint64_t> announced;
        if (announced.second != index || announced.first != object.sha256) {
            announced = {object.sha256, index};
            read_ahead(object, index);
        }
        std::size_t got = 0;
        while (got < want) {
            ssize_t n = ::pread(fd.get(), out.data() + done + got, want - got,
                                static_cast<off_t>(within + got));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0)
                throw std::system_error(n < 0 ? errno : EIO, std::generic_category(),
                                        "read cached block of " + object.key);
            got += static_cast<std::size_t>(n);
        }
        done += want;
    }
    return done;
}

}  // namespace dropgate::objstore
