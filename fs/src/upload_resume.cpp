// An upload interrupted without its verdict, kept for resume (spec §4 "Resume"), and the check
// machinery that lets it stop and go on: the validator's state is kept in memory while the
// upload is partial, so a resumption continues where the check was (no re-read); only a
// partial found at start-up has its staged bytes read back, once: in the background after the
// start (warm_step), or by its resumption if that comes first.
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
    size_ = resume_at_ = staged;
    writeback_started_ = durability_requested_ = staged;  // durable already: kept at the restart
    durable_.synced(staged);
    contiguous_ = staged;  // written in an earlier life; fed_ = 0: read back on resume
}

void Upload::reset_check() {
    check_ = judge_.start_check();
    sha_ = validator::Sha256();
    fed_ = hashed_ = 0;
    hashing_apart_ = false;
    content_refused_ = false;
    rescan_ = false;
    contiguous_ = size_.load();
}

std::uint64_t Upload::suspend() {
    catch_up(0);  // everything written in order is checked and hashed
    stop_threads();
    durable_.stop();
    if (rescan_) {
        // Checked bytes were changed: the check starts over from the file when resumed.
        reset_check();
    } else if (size_ > contiguous_.load()) {
        // Ranges written ahead of a gap cannot be vouched for: only the prefix is kept.
        size_ = contiguous_.load();
        ::ftruncate(fd_.get(), static_cast<off_t>(size_));
    }
    ahead_.clear();
    durable_.reset(size_);
    if (::fsync(fd_.get()) == 0) durable_.synced(size_);
    writeback_started_ = durability_requested_ = size_;
    resume_at_ = size_;
    misplaced_ = false;
    partial_since = std::chrono::steady_clock::now();
    return size_;
}

void Upload::resume(pid_t new_writer) {
    // Warming threads run at the warmer's low priority: the writer's first write starts its own.
    stop_threads();
    writer = new_writer;
    ++session;
    tag_aborted = false;  // that was the last session's client; the new one tags for itself
    misplaced_ = false;
    resume_at_ = size_;
    state = State::writing;
}

bool Upload::warm_step(std::uint64_t step) {
    const State now = state.load();
    if (now == State::writing) return true;  // resumed meanwhile: its writer drives the check
    if (now != State::partial || read_error_.load()) {
        stop_threads();
        return true;
    }
    const std::uint64_t left = contiguous_.load() - checked();
    if (left > 0) {
        start_threads();
        wait_for_check(left > step ? left - step : 0);
    }
    if (contiguous_.load() > checked()) return false;
    stop_threads();
    return true;
}

}  // namespace dropgate::fs
