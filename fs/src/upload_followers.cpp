// The two threads that follow an upload's writer through its staging file — the check
// (validator) and, past kHashApartAt, the SHA-256 — and how the writer and they wake each other.
// Each wake is a context switch, and on this paravirtualised host a switch costs more than
// checking a small write, so: a follower sleeps until a batch is new (kBatch) or someone waits
// for it to drain; the writer wakes followers only when one sleeps, and a follower wakes the
// writer only when it waits for the backlog to shrink. Two condition variables (data for the
// followers, progress for the writer) so a wake reaches only who it is for.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "upload.hpp"
#include "upload_tuning.hpp"

namespace dropgate::fs {

using namespace tuning;

namespace {

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

bool Upload::worth_waking(std::uint64_t position) const {
    std::uint64_t written = contiguous_.load();
    return written > position && (written - position >= kBatch || draining_.load());
}

// Sleeps (under check_mutex_) until there is work past `position`; false once stopped with
// none left. Counted as sleeping, so the writer knows to wake it.
bool Upload::wait_for_data(std::stop_token& stop, const std::atomic<std::uint64_t>& position) {
    std::unique_lock lock(check_mutex_);
    if (worth_waking(position.load())) return true;
    ++followers_asleep_;
    bool woken = data_ready_.wait(lock, stop, [&] { return worth_waking(position.load()); });
    --followers_asleep_;
    return woken;
}

void Upload::tell_writer() {
    if (!writer_waiting_.load()) return;
    std::lock_guard lock(check_mutex_);
    progress_.notify_one();
}

void Upload::tell_followers() {
    if (followers_asleep_.load() == 0) return;
    std::lock_guard lock(check_mutex_);
    data_ready_.notify_all();
}

void Upload::check_loop(std::stop_token stop) {
    while (wait_for_data(stop, fed_)) {
        // Everything written so far, in chunks, without sleeping in between.
        while (fed_.load() < contiguous_.load()) {
            std::uint64_t from = fed_.load();
            std::uint64_t to = std::min<std::uint64_t>(contiguous_.load(), from + kChunk);
            bool ok = feed_from_file(from, to);
            if (!ok) fed_ = contiguous_.load();  // give up; judge() reports the read error
            if (ok && !hashing_apart_.load() && to >= kHashApartAt) start_hashing_apart();
            tell_writer();
        }
    }
}

void Upload::start_hashing_apart() {
    sha_ = check_->validator.detach_hash();
    hashed_ = fed_.load();
    hashing_apart_ = true;
    hash_thread_ = std::jthread([this](std::stop_token stop) { hash_loop(stop); });
}

void Upload::hash_loop(std::stop_token stop) {
    while (wait_for_data(stop, hashed_)) {
        while (hashed_.load() < contiguous_.load()) {
            std::uint64_t from = hashed_.load();
            std::uint64_t to = std::min<std::uint64_t>(contiguous_.load(), from + kChunk);
            if (!hash_from_file(from, to, &hashed_))
                hashed_ = contiguous_.load();  // give up; judge() reports the read error
            tell_writer();
        }
    }
}

bool Upload::hash_from_file(std::uint64_t from, std::uint64_t to,
                            std::atomic<std::uint64_t>* done) {
    return read_range(fd_.get(), from, to, read_error_, [&](auto bytes, std::uint64_t end) {
        sha_.update(bytes);
        if (done) *done = end;
    });
}

bool Upload::feed_from_file(std::uint64_t from, std::uint64_t to) {
    return read_range(fd_.get(), from, to, read_error_,
                      [&](auto bytes, std::uint64_t end) { feed(bytes, end); });
}

void Upload::feed(std::span<const std::uint8_t> bytes, std::uint64_t end) {
    if (!check_->validator.feed(bytes)) content_refused_ = true;
    fed_ = end;
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
    if (contiguous_.load() - checked() <= backlog) return;
    // Below a batch the followers would sleep on what is left: they must drain it instead.
    if (backlog < kBatch) {
        draining_ = true;
        data_ready_.notify_all();
    }
    writer_waiting_ = true;
    progress_.wait(lock, [&] { return contiguous_.load() - checked() <= backlog; });
    writer_waiting_ = false;
    draining_ = false;
}

void Upload::start_threads() {
    if (check_thread_.joinable()) return;
    // Resumed after a suspension, the hash may already live apart from the check: it needs its
    // thread too. (Otherwise the check thread starts that thread itself, past kHashApartAt; both
    // are down only before the first start or after stop_threads, so they never race here.)
    if (hashing_apart_.load() && !hash_thread_.joinable())
        hash_thread_ = std::jthread([this](std::stop_token stop) { hash_loop(stop); });
    check_thread_ = std::jthread([this](std::stop_token stop) { check_loop(stop); });
}

void Upload::stop_threads() {
    for (std::jthread* thread : {&check_thread_, &hash_thread_}) {
        if (!thread->joinable()) continue;
        thread->request_stop();
        thread->join();
    }
}

}  // namespace dropgate::fs
