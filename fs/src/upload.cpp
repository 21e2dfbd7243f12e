#include "upload.hpp"

#include "upload_tuning.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace dropgate::fs {

using namespace tuning;

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
    const auto copy_start = WriteWaits::Clock::now();
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
    WriteWaits::add(waits.pwrite_ms, copy_start);
    size_ = std::max(size_.load(), end);
    if (!rescan_) {
        std::uint64_t contiguous = contiguous_.load();
        if (offset <= contiguous && end > contiguous) {
            // Bytes the check has not seen, in order, and no thread to read them back: check
            // them from the request's own buffer now (a small upload, or its first MiB).
            if (!check_thread_.joinable() && fed_.load() == contiguous &&
                contiguous < kCheckInLine) {
                const auto start = WriteWaits::Clock::now();
                feed(data.subspan(contiguous - offset), end);
                WriteWaits::add(waits.inline_ms, start);
            }
            contiguous = end;
            while (!ahead_.empty() && ahead_.begin()->first <= contiguous) {
                contiguous = std::max(contiguous, ahead_.begin()->second);
                ahead_.erase(ahead_.begin());
            }
            contiguous_ = contiguous;
            tell_followers();
        } else if (offset > contiguous) {
            auto& slot = ahead_[offset];
            slot = std::max(slot, end);
            if (ahead_.size() > kMaxRangesAhead) {
                rescan_ = true;
                ahead_.clear();
            }
        }
        if (contiguous_.load() > kCheckInLine) start_threads();
        const auto start = WriteWaits::Clock::now();
        catch_up(kMaxBacklog);
        WriteWaits::add(waits.backlog_ms, start);
    }
    start_writeback();
    return 0;
}

int Upload::truncate(std::uint64_t size) {
    if (size > judge_.limits().max_bundle_size) return EFBIG;
    if (size == 0) {  // nothing is left to check: start over (an O_TRUNC open of a partial)
        stop_threads();
        durable_.stop();
        if (::ftruncate(fd_.get(), 0) != 0) return errno;
        durable_.reset(0);
        size_ = writeback_started_ = durability_requested_ = resume_at_ = 0;
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

void Upload::start_writeback() {
    while (size_ >= writeback_started_ + kWindow) {
        ::sync_file_range(fd_.get(), static_cast<off_t>(writeback_started_), kWindow,
                          SYNC_FILE_RANGE_WRITE);
        writeback_started_ += kWindow;
        if (writeback_started_ > kLag) {
            // Older than kLag: wait until it is on disk before taking more from this writer.
            const std::uint64_t old = writeback_started_ - kLag - kWindow;
            const auto start = WriteWaits::Clock::now();
            ::sync_file_range(
                fd_.get(), static_cast<off_t>(old), kWindow,
                SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
            WriteWaits::add(waits.writeback_ms, start);
            // On disk and read back by the check and the hash: nobody needs those pages now.
            // Dropping them keeps an upload's page-cache footprint at about kLag whatever its
            // size, and the next pages it writes reuse warm memory: on this host a copy into a
            // page the guest has not touched lately costs many times a normal one (a 1 GiB
            // upload's copies took 3.5 s instead of 0.25 s once ~12 GB of bundles sat in the
            // cache; docs/store.md).
            if (!rescan_ && checked() >= old + kWindow)
                ::posix_fadvise(fd_.get(), static_cast<off_t>(old), kWindow, POSIX_FADV_DONTNEED);
        }
        if (writeback_started_ >= durability_requested_ + kDurableStep) {
            durable_.request(writeback_started_);  // behind the writer: it does not wait
            durability_requested_ = writeback_started_;
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
