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
// stays under kLag + kWindow whatever the size of the upload.
constexpr std::uint64_t kWindow = 2 << 20;
constexpr std::uint64_t kLag = kWindow;
// sync_file_range never flushes the device's write cache, so the close-time fsync would still pay
// for every byte the disk (on a VM: the host) has cached: up to 400 ms for 1 GiB, measured here.
// An fdatasync every kDurableStep keeps that tail bounded too.
constexpr std::uint64_t kDurableStep = 256 << 20;
// More disjoint ranges ahead than this and the check is redone from the file at close instead.
constexpr std::size_t kMaxRangesAhead = 256;
constexpr std::size_t kChunk = 1 << 20;

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

int Upload::write(std::span<const std::uint8_t> data, std::uint64_t offset) {
    const std::uint64_t end = offset + data.size();
    if (end > judge_.limits().max_bundle_size) {
        write_error = EFBIG;  // the verdict too: a limit, not a truncated bundle
        return EFBIG;
    }
    if (offset < fed_ && !rescan_) {
        // A rewrite of bytes the check has already seen (writeback cache resends a partial
        // page). Same bytes: nothing to do; different bytes: the check must start over.
        std::uint64_t overlap = std::min<std::uint64_t>(fed_, end) - offset;
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
        if (offset <= fed_ && end > fed_) {
            check_->validator.feed(data.subspan(fed_ - offset));
            fed_ = end;
            catch_up();
        } else if (offset > fed_) {
            auto& slot = ahead_[offset];
            slot = std::max(slot, end);
            if (ahead_.size() > kMaxRangesAhead) {
                rescan_ = true;
                ahead_.clear();
            }
        }
    }
    start_writeback();
    return 0;
}

int Upload::truncate(std::uint64_t size) {
    if (size > judge_.limits().max_bundle_size) return EFBIG;
    if (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) return errno;
    if (size < fed_) rescan_ = true;
    size_ = size;
    return 0;
}

void Upload::catch_up() {
    while (!ahead_.empty() && ahead_.begin()->first <= fed_) {
        std::uint64_t end = ahead_.begin()->second;
        ahead_.erase(ahead_.begin());
        if (end > fed_) feed_from_file(fed_, end);
    }
}

void Upload::feed_from_file(std::uint64_t from, std::uint64_t to) {
    std::vector<std::uint8_t> buffer(std::min<std::uint64_t>(kChunk, to - from));
    while (from < to) {
        std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), to - from));
        ssize_t n = ::pread(fd_.get(), buffer.data(), want, static_cast<off_t>(from));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (!write_error) write_error = n < 0 ? errno : EIO;
            return;
        }
        check_->validator.feed({buffer.data(), static_cast<std::size_t>(n)});
        from += static_cast<std::uint64_t>(n);
        fed_ = from;
    }
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
    }
}

const indexer::Verdict& Upload::judge() {
    if (judged) return verdict;
    judged = true;
    struct stat st {};
    if (::fstat(fd_.get(), &st) == 0) size_ = static_cast<std::uint64_t>(st.st_size);
    if (rescan_) {
        check_ = judge_.start_check();
        fed_ = 0;
        ahead_.clear();
        rescan_ = false;
    }
    ahead_.clear();
    if (fed_ < size_) feed_from_file(fed_, size_);
    verdict = check_->validator.finish();
    return verdict;
}

}  // namespace dropgate::fs
