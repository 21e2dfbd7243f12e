// An upload interrupted without its verdict, kept for resume (spec §4 "Resume"), and the check
// machinery that lets it stop and go on: the validator's state is kept in memory while the
// upload is partial, so a resumption continues where the check was (no re-read); only a
// partial found at start-up has its staged bytes read back, once, when it is resumed.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>

#include "dropgate/contract/xattrs.hpp"
#include "upload.hpp"

namespace dropgate::fs {

Upload::Upload(std::string id_, std::string customer_, std::string path_, UniqueFd fd, Judge& judge,
               std::uint64_t staged)
    : Upload(std::move(id_), std::move(customer_), std::move(path_), 0, std::move(fd), judge) {
    state = State::partial;
    partial_since = std::chrono::steady_clock::now();
    size_ = durable_ = resume_at_ = staged;
    writeback_started_ = staged;  // nothing older needs writeback: it is durable already
    contiguous_ = staged;         // written in an earlier life; fed_ = 0: read back on resume
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

void Upload::reset_check() {
    check_ = judge_.start_check();
    sha_ = validator::Sha256();
    fed_ = hashed_ = 0;
    hashing_apart_ = false;
    content_refused_ = false;
    rescan_ = false;
    std::lock_guard lock(check_mutex_);
    contiguous_ = size_;
}

void Upload::record_durable() {
    std::string text = std::to_string(durable_);
    ::fsetxattr(fd_.get(), contract::xattr::kDurable, text.data(), text.size(), 0);  // best effort
}

std::uint64_t Upload::suspend() {
    catch_up(0);  // everything written in order is checked and hashed
    stop_threads();
    if (rescan_) {
        // Checked bytes were changed: the check starts over from the file when resumed.
        reset_check();
    } else if (size_ > contiguous_.load()) {
        // Ranges written ahead of a gap cannot be vouched for: only the prefix is kept.
        size_ = contiguous_.load();
        ::ftruncate(fd_.get(), static_cast<off_t>(size_));
    }
    ahead_.clear();
    if (::fsync(fd_.get()) == 0) {
        durable_ = size_;
        record_durable();
    }
    writeback_started_ = size_;
    resume_at_ = size_;
    misplaced_ = false;
    partial_since = std::chrono::steady_clock::now();
    return size_;
}

void Upload::resume(pid_t new_writer) {
    writer = new_writer;
    ++session;
    tag_aborted = false;  // that was the last session's client; the new one tags for itself
    misplaced_ = false;
    resume_at_ = size_;
    state = State::writing;
}

}  // namespace dropgate::fs
