// One upload in progress: its staging file, the streaming content check fed as bytes arrive
// (in order, or caught up from the staging file when a gap fills), writeback kept ahead of the
// writer, the tags a writer sets before close, and its interruption and resumption (spec §4
// "Resume": upload_resume.cpp).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "dropgate/base/unique_fd.hpp"
#include "durable_follower.hpp"
#include "judge.hpp"
#include "write_waits.hpp"

namespace dropgate::fs {

class Upload {
  public:
    enum class State {
        writing,    // open by its writer, no verdict yet
        partial,    // interrupted without a verdict: kept in staging for its owner to resume
        held,       // temp-suffix name judged acceptable, waiting in staging for a rename
        published,  // in bundles/, row committed
        refused,    // removed, row `rejected`
        aborted,    // removed, row `aborted`
    };

    Upload(std::string id, std::string customer, std::string path, pid_t writer, UniqueFd fd,
           Judge& judge);
    // A partial found in staging at start-up, `staged` bytes long (what is known durable). Its
    // check reads the staged bytes back when it is resumed.
    Upload(std::string id, std::string customer, std::string path, UniqueFd fd, Judge& judge,
           std::uint64_t staged);

    const std::string id;  // store-assigned; the staging file's name
    const std::string customer;
    // The thread group writing it: the only one that sees it while it is written. Changes when
    // the upload is resumed.
    std::atomic<pid_t> writer;
    // Counts resumptions: a handle from an earlier session (a dead writer's) is stale.
    std::atomic<std::uint64_t> session{0};
    // When its first byte came (kept across a restart: the partial row says).
    std::chrono::system_clock::time_point started_at = std::chrono::system_clock::now();
    std::atomic<State> state{State::writing};

    std::mutex mutex;  // guards everything below

    std::string path;  // relative to the customer's directory; changes on a publishing rename
    int fd() const { return fd_.get(); }

    // Writes at `offset` (0 or an errno: EFBIG past max_bundle_size, or the write's error).
    // In-order bytes of a small upload are checked right here, from `data`; later ones by the
    // check thread, from the page cache.
    int write(std::span<const std::uint8_t> data, std::uint64_t offset);
    // The check has seen content that can never be accepted (bad magic, a CRC mismatch, a tar
    // header checksum error, an escaping path, a limit): the upload's verdict is known before
    // its end, and the next write fails with it (spec §4 "Fail fast"). Judged on the bytes in
    // order as first written; a later rewrite of them cannot undo it.
    bool doomed() const { return content_refused_.load() && !rescan_; }
    // ftruncate; shrinking below what was validated restarts the check from the file at close;
    // to 0 it starts the upload over (the check too).
    int truncate(std::uint64_t size);

    // The upload ended without its verdict (client gone, writer killed, store stopping): the
    // check digests what was written, its threads stop (its state is kept), the staging file
    // is cut to the contiguous prefix and made durable. Returns the bytes kept; the caller sets
    // the state and records the row.
    std::uint64_t suspend();
    // Its owner opens it for writing again: `writer` continues it at exactly resume_at().
    void resume(pid_t writer);
    // A partial found at start-up has a fresh check: this reads up to `step` more of its staged
    // bytes back into it, so a resumption finds the check where the bytes end instead of
    // re-reading them while its client waits. True once nothing is left to read (or the upload
    // is no longer partial: a resumed writer owns the threads then).
    bool warm_step(std::uint64_t step);
    // Where a resumed upload continues (0 for one that never broke). A write below it, or a
    // first write anywhere else, is refused with EINVAL and changes nothing.
    std::uint64_t resume_at() const { return resume_at_; }
    // A write was refused as misplaced and nothing new arrived since the resumption: the close
    // returns the upload to partial instead of judging it.
    bool only_misplaced_writes() const { return misplaced_ && size_ == resume_at_; }
    std::uint64_t size() const { return size_; }
    // Feeds whatever the check has not seen yet (from the staging file) and finishes it.
    // Call once; the result is cached in `verdict`.
    const validator::Verdict& judge();
    const index::MemberSpool& members() const { return check_->spool; }
    // Makes the staging file durable (mode 0444, then fsync) on its own thread, so the fsync
    // of the dirty tail overlaps with finishing the check; the first call starts it.
    void start_sync();
    // Waits for that fsync (starting it if needed): 0 or its errno. The publish path calls this
    // before the rename, so the data is on disk before the name is.
    int wait_sync();

    validator::Verdict verdict;  // valid once judged
    bool judged = false;
    std::chrono::steady_clock::time_point close_seen{};  // the flush that asked for the verdict
    double judge_seconds = 0;  // finishing the check at close (should be ~0: it streamed)
    WriteWaits waits;          // where the writer's time went
    int write_error = 0;       // first failed write (ENOSPC, EIO): the upload cannot be accepted
    std::string write_reason;  // its reason when the errno alone does not say (EDQUOT: which)
    std::chrono::steady_clock::time_point held_since{};
    std::chrono::steady_clock::time_point partial_since{};
    std::string partial_row;  // upload_id of its `partial` row, which the final verdict updates

    // Tags set with setxattr before close (user.dropgate.*).
    std::string tag_upload_id, tag_remote, tag_client_version;
    bool tag_aborted = false;

  private:
    // The check runs on its own thread, reading the contiguous written prefix back from the
    // page cache right behind the writer, so a WRITE is answered without waiting for inflate
    // and SHA-256 of its bytes (the writer's next request overlaps with the check).
    void check_loop(std::stop_token stop);
    bool feed_from_file(std::uint64_t from, std::uint64_t to);          // false on a read error
    void feed(std::span<const std::uint8_t> bytes, std::uint64_t end);  // the check, up to `end`
    // Past kHashApartAt the SHA-256 moves to its own thread, which follows the writer the same
    // way: inflate alone keeps one core busy, so hashing in line made the check the bottleneck
    // of a large upload (inflate ~2.3 s + SHA-256 ~0.8 s per GiB here).
    void start_hashing_apart();
    void hash_loop(std::stop_token stop);
    bool hash_from_file(std::uint64_t from, std::uint64_t to, std::atomic<std::uint64_t>* done);
    std::uint64_t checked() const;               // the prefix both the check and the hash have seen
    void wait_for_check(std::uint64_t backlog);  // until contiguous_ - checked() <= backlog
    // The same, but with no check thread (a small upload) feeds the check in line instead.
    void catch_up(std::uint64_t backlog);
    void start_writeback();
    void start_threads();  // the check (and hash) threads, when the upload has outgrown in-line
    void stop_threads();   // joins them; their state stays for the next session or the verdict
    void reset_check();    // a fresh check of the file's [0, size_) from the start
    // How the writer and the followers wake each other (upload_followers.cpp).
    bool worth_waking(std::uint64_t position) const;
    bool wait_for_data(std::stop_token& stop, const std::atomic<std::uint64_t>& position);
    void tell_writer();
    void tell_followers();

    Judge& judge_;
    UniqueFd fd_;
    std::unique_ptr<ContentCheck> check_;  // owned by the check thread until judge() joins it
    std::atomic<std::uint64_t> size_{0};   // highest byte written (read unlocked by quotas)
    std::map<std::uint64_t, std::uint64_t> ahead_;  // written ranges beyond contiguous_
    bool rescan_ = false;  // validated bytes were changed: re-read the whole file at close
    std::uint64_t writeback_started_ = 0;     // writeback started for [0, writeback_started_)
    std::uint64_t durability_requested_ = 0;  // fdatasync asked for through here
    std::uint64_t resume_at_ = 0;             // where the current session had to continue
    bool misplaced_ = false;                  // a write of this session was refused as misplaced

    std::mutex check_mutex_;
    std::condition_variable_any data_ready_;  // writer -> followers: more is written
    std::condition_variable progress_;        // followers -> writer: the backlog shrank
    std::atomic<int> followers_asleep_{0};
    std::atomic<bool> writer_waiting_{false};
    std::atomic<bool> draining_{false};         // someone waits for the followers to finish
    std::atomic<std::uint64_t> contiguous_{0};  // [0, contiguous_) is written
    std::atomic<std::uint64_t> fed_{0};         // [0, fed_) went to the check
    std::atomic<int> read_error_{0};
    std::atomic<bool> content_refused_{false};  // the validator refused what it was fed
    std::atomic<bool> hashing_apart_{false};    // set by the check thread, once
    std::atomic<std::uint64_t> hashed_{0};      // [0, hashed_) went to sha_ (when apart)
    validator::Sha256 sha_;                     // owned by the hash thread until judge() joins it
    std::jthread hash_thread_;   // started (by the check thread) after sha_ holds the state
    std::jthread check_thread_;  // started by write() once the upload outgrows kCheckInLine
    std::jthread sync_thread_;   // the close-time fsync; joined (destroyed) before fd_
    DurableFollower durable_{fd_.get()};  // the periodic fdatasync; destroyed before fd_
    bool sync_started_ = false;
    bool synced_in_line_ = false;
    int sync_error_ = 0;  // its result, read after the join
};

}  // namespace dropgate::fs
