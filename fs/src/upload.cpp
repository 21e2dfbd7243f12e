#include "upload.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace dropgate::fs {

namespace {

// Writeback of the staging file is started every kWindow bytes, and the store waits for the
// window kLag behind to reach the disk, so the dirty tail (what the close-time fsync waits for)
// stays under kLag + kWindow (4 MiB) whatever the size of the upload. 1 MiB windows matched
// the gateway's and FUSE's 1 MiB writes; the 4/8 MiB setting left a ~12 MiB tail.
constexpr std::uint64_t kWindow = 1 << 20;
constexpr std::uint64_t kLag = 3 * kWindow;
// sync_file_range never flushes the device's write cache, so the close-time fsync would still pay
// for every byte the disk (on a VM: the host) has cached: up to 400 ms for 1 GiB, measured here.
// An fdatasync every kDurableStep keeps that tail bounded too: at 256 MiB the close-time fsync
// still took ~55 ms whatever the dirty tail, at 64 MiB 15-40 ms (measured, bench/store.sh).
constexpr std::uint64_t kDurableStep = 64 << 20;
// More disjoint ranges ahead than this and the check is redone from the file at close instead.
constexpr std::size_t kMaxRangesAhead = 256;
constexpr std::size_t kChunk = 512 << 10;
// How far the check may fall behind the writer before the writer waits: this is also the most
// the close has to wait for (validating 2 MiB takes ~3-5 ms idle, up to ~15 ms on a loaded box;
// 4 MiB measured up to 80 ms under load).
constexpr std::uint64_t kMaxBacklog = 2 << 20;
// Uploads smaller than this are hashed in line: a second thread costs more than it saves.
constexpr std::uint64_t kHashApartAt = 16 << 20;
// Up to this much written in order, no check thread is started: the close checks it in line
// (about 2 ms for 1 MiB) and fsyncs in line, cheaper than starting and joining two threads for
// the small bundles most uploads are (measured: ~8% of a 250 KiB upload's store CPU).
constexpr std::uint64_t kCheckInLine = 1 << 20;

// Reads [from, to) of the staging file in kChunk pieces and hands each to consume(bytes, end);
// false on a read error, which is recorded in read_error (the first one wins).
template <class Consume>
bool read_range(int fd, std::uint64_t from, std::uint64_t to, std::atomic<int>& read_error,
                Consume consume) {
    std::vector<std::uint8_t> buffer(std::min<std::uint64_t>(kChunk, to - from));
    while (from < to) {
        std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), to - from));
        ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(from));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int expected = 0;
            read_error.compare_exchange_strong(expected, n < 0 ? errno : EIO);
            return false;
        }
        from += static_cast<std::uint64_t>(n);
        consume(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n)), from);
    }
    return true;
}

}  // namespace

Upload::Upload(std::string id_, std::string customer_, std::string path_, pid_t writer_,
               UniqueFd fd, Judge& judge)
    : id(std::move(id_)),
      customer(std::move(customer_)),
      writer(writer_),
      path(std::move(path_)),
      judge_(judge),
      fd_(std::move(fd)),
      check_(judge.start_check()) {}

void Upload::check_loop(std::stop_token stop) {
    while (true) {
        {
            std::unique_lock lock(check_mutex_);
            if (!check_moved_.wait(lock, stop, [this] { return fed_.load() < contiguous_.load(); }))
                return;  // stop requested and nothing left to feed
        }
        std::uint64_t from = fed_.load();
        std::uint64_t to = std::min<std::uint64_t>(contiguous_.load(), from + kChunk);
        bool ok = feed_from_file(from, to);
        if (ok && !hashing_apart_.load() && to >= kHashApartAt) start_hashing_apart();
        {
            std::lock_guard lock(check_mutex_);
            if (!ok) fed_ = contiguous_.load();  // give up; judge() reports the read error
        }
        check_moved_.notify_all();
    }
}

void Upload::start_hashing_apart() {
    sha_ = check_->validator.detach_hash();
    hashed_ = fed_.load();
    hashing_apart_ = true;
    hash_thread_ = std::jthread([this](std::stop_token stop) { hash_loop(stop); });
}

void Upload::hash_loop(std::stop_token stop) {
    while (true) {
        {
            std::unique_lock lock(check_mutex_);
            if (!check_moved_.wait(lock, stop,
                                   [this] { return hashed_.load() < contiguous_.load(); }))
                return;
        }
        std::uint64_t from = hashed_.load();
        std::uint64_t to = std::min<std::uint64_t>(contiguous_.load(), from + kChunk);
        bool ok = hash_from_file(from, to, &hashed_);
        {
            std::lock_guard lock(check_mutex_);
            if (!ok) hashed_ = contiguous_.load();  // give up; judge() reports the read error
        }
        check_moved_.notify_all();
    }
}

bool Upload::hash_from_file(std::uint64_t from, std::uint64_t to,
                            std::atomic<std::uint64_t>* done) {
    return read_range(fd_.get(), from, to, read_error_, [&](auto bytes, std::uint64_t end) {
        sha_.update(bytes);
        if (done) *done = end;
    });
}

std::uint64_t Upload::checked() const {
    std::uint64_t fed = fed_.load();
    return hashing_apart_.load() ? std::min(fed, hashed_.load()) : fed;
}

void Upload::catch_up(std::uint64_t backlog) {
    if (check_thread_.joinable()) return wait_for_check(backlog);
    std::uint64_t from = fed_.load(), to = contiguous_.load();
    if (to - from > backlog && !read_error_.load()) feed_from_file(from, to);
}

void Upload::wait_for_check(std::uint64_t backlog) {
    std::unique_lock lock(check_mutex_);
    check_moved_.wait(lock, [&] { return contiguous_.load() - checked() <= backlog; });
}

int Upload::write(std::span<const std::uint8_t> data, std::uint64_t offset) {
    const std::uint64_t end = offset + data.size();
    // A resumed upload continues exactly where it stopped: what it has is sealed (an overlap)
    // and its first new byte must follow the last old one (no hole).
    if (offset < resume_at_ || (resume_at_ > 0 && size_ == resume_at_ && offset != resume_at_)) {
        misplaced_ = true;
        return EINVAL;
    }
    if (end > judge_.limits().max_bundle_size) {
        write_error = EFBIG;  // the verdict too: a limit, not a truncated bundle
        return EFBIG;
    }
    if (offset < contiguous_.load() && !rescan_) {
        // A rewrite of bytes already written (writeback cache resends a partial page). Let the
        // check catch up first, then: same bytes, nothing to do; different bytes, the check
        // must start over from the file at close.
        catch_up(0);
        std::uint64_t overlap = std::min<std::uint64_t>(checked(), end) - offset;
        std::vector<std::uint8_t> old(overlap);
        ssize_t n = ::pread(fd_.get(), old.data(), overlap, static_cast<off_t>(offset));
        if (n != static_cast<ssize_t>(overlap) || std::memcmp(old.data(), data.data(), overlap))
            rescan_ = true;
    }
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::pwrite(fd_.get(), data.data() + done, data.size() - done,
                             static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            if (!write_error) write_error = errno;
            return errno;
        }
        done += static_cast<std::size_t>(n);
    }
    size_ = std::max(size_, end);
    if (!rescan_) {
        std::uint64_t contiguous = contiguous_.load();
        if (offset <= contiguous && end > contiguous) {
            // Bytes the check has not seen, in order, and no thread to read them back: check
            // them from the request's own buffer now (a small upload, or its first MiB).
            if (!check_thread_.joinable() && fed_.load() == contiguous && contiguous < kCheckInLine)
                feed(data.subspan(contiguous - offset), end);
            contiguous = end;
            while (!ahead_.empty() && ahead_.begin()->first <= contiguous) {
                contiguous = std::max(contiguous, ahead_.begin()->second);
                ahead_.erase(ahead_.begin());
            }
            {
                std::lock_guard lock(check_mutex_);
                contiguous_ = contiguous;
            }
            check_moved_.notify_all();
        } else if (offset > contiguous) {
            auto& slot = ahead_[offset];
            slot = std::max(slot, end);
            if (ahead_.size() > kMaxRangesAhead) {
                rescan_ = true;
                ahead_.clear();
            }
        }
        if (contiguous_.load() > kCheckInLine) start_threads();
        catch_up(kMaxBacklog);
    }
    start_writeback();
    return 0;
}

int Upload::truncate(std::uint64_t size) {
    if (size > judge_.limits().max_bundle_size) return EFBIG;
    if (size == 0) {  // nothing is left to check: start over (an O_TRUNC open of a partial)
        stop_threads();
        if (::ftruncate(fd_.get(), 0) != 0) return errno;
        size_ = writeback_started_ = durable_ = resume_at_ = 0;
        ahead_.clear();
        reset_check();
        return 0;
    }
    catch_up(0);
    if (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) return errno;
    if (size < checked()) rescan_ = true;
    size_ = size;
    return 0;
}

bool Upload::feed_from_file(std::uint64_t from, std::uint64_t to) {
    return read_range(fd_.get(), from, to, read_error_,
                      [&](auto bytes, std::uint64_t end) { feed(bytes, end); });
}

void Upload::feed(std::span<const std::uint8_t> bytes, std::uint64_t end) {
    if (!check_->validator.feed(bytes)) content_refused_ = true;
    fed_ = end;
}

void Upload::start_writeback() {
    while (size_ >= writeback_started_ + kWindow) {
        ::sync_file_range(fd_.get(), static_cast<off_t>(writeback_started_), kWindow,
                          SYNC_FILE_RANGE_WRITE);
        writeback_started_ += kWindow;
        if (writeback_started_ > kLag) {
            // Older than kLag: wait until it is on disk before taking more from this writer.
            ::sync_file_range(
                fd_.get(), static_cast<off_t>(writeback_started_ - kLag - kWindow), kWindow,
                SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
        }
        if (writeback_started_ >= durable_ + kDurableStep && ::fdatasync(fd_.get()) == 0) {
            durable_ = writeback_started_;
            record_durable();
        }
    }
}

void Upload::start_sync() {
    if (sync_started_) return;
    sync_started_ = true;
    ::fchmod(fd_.get(), 0444);          // bundles are read-only on the backing filesystem as well
    if (size_ <= kCheckInLine) return;  // wait_sync() fsyncs in line
    sync_thread_ = std::jthread([this] { sync_error_ = ::fsync(fd_.get()) == 0 ? 0 : errno; });
}

int Upload::wait_sync() {
    start_sync();
    if (sync_thread_.joinable()) {
        sync_thread_.join();
    } else if (!synced_in_line_) {
        synced_in_line_ = true;
        sync_error_ = ::fsync(fd_.get()) == 0 ? 0 : errno;
    }
    return sync_error_;
}

const validator::Verdict& Upload::judge() {
    if (judged) return verdict;
    judged = true;
    catch_up(0);
    stop_threads();  // from here on the check and the hash are ours
    bool apart = hashing_apart_.load();
    struct stat st {};
    if (::fstat(fd_.get(), &st) == 0) size_ = static_cast<std::uint64_t>(st.st_size);
    if (rescan_) {
        check_ = judge_.start_check();
        fed_ = 0;
        apart = false;
        rescan_ = false;
    }
    ahead_.clear();
    // Holes and ranges written out of order that never joined the prefix are read here.
    std::uint64_t from = fed_.load();
    if (from < size_ && !read_error_.load() && feed_from_file(from, size_) && apart)
        hash_from_file(from, size_, nullptr);
    if (read_error_.load() && !write_error) write_error = read_error_.load();
    verdict = check_->validator.finish(apart ? sha_.hex_digest() : std::string());
    return verdict;
}

}  // namespace dropgate::fs
