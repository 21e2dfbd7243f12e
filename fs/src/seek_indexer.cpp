#include "seek_indexer.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dropgate/base/log.hpp"
#include "dropgate/contract/layout.hpp"
#include "dropgate/inside/reindex.hpp"
#include "idle_pacer.hpp"

namespace dropgate::fs {

namespace {

// The idle scheduling class (below nice 19: a waking upload thread preempts it at once and the
// kernel places wakeups on its CPU as if idle) and the idle I/O class, for this thread only.
void become_idle() {
    const pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), 19);
    const sched_param none{};
    ::sched_setscheduler(tid, SCHED_IDLE, &none);
    constexpr int kWhoProcess = 1, kClassIdle = 3, kClassShift = 13;
    ::syscall(SYS_ioprio_set, kWhoProcess, tid, kClassIdle << kClassShift);
}

void index_one(const config::Config& config, const index::UploadRecord& bundle,
               std::stop_token stop) {
    IdlePacer pace(stop);
    auto outcome = inside::index_bundle(config, bundle, false, stop, std::ref(pace));
    if (stop.stop_requested()) return;  // the next start indexes it
    const std::string name = bundle.customer + "/" + bundle.path;
    if (outcome.kind == inside::IndexOutcome::Kind::failed)
        log::warn("seek_index_failed", {{"bundle", name}, {"error", outcome.error}});
    else if (outcome.kind == inside::IndexOutcome::Kind::built)
        log::debug("seek_index_built", {{"bundle", name},
                                        {"points", outcome.points},
                                        {"index_bytes", outcome.index_bytes},
                                        {"seconds", outcome.seconds}});
}

}  // namespace

SeekIndexer::SeekIndexer(const config::Config& config) : config_(config) {}

SeekIndexer::~SeekIndexer() {
    thread_.request_stop();
    wake_.notify_all();
}

void SeekIndexer::start() {
    thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
}

void SeekIndexer::enqueue(const index::UploadRecord& bundle) {
    std::lock_guard lock(mutex_);
    queue_.push_back(bundle);
    wake_.notify_one();
}

// Bundles accepted before this start (or before seek indexes existed) without an index file.
void SeekIndexer::catch_up(std::stop_token stop) {
    try {
        auto index = index::Index::open(config_.index.database, /*read_only=*/true);
        index::UploadFilter accepted;
        accepted.status = index::UploadState::accepted;
        const contract::Layout layout(config_.store.root);
        for (const auto& bundle : index.uploads(accepted)) {
            if (stop.stop_requested()) return;
            std::error_code ec;
            if (std::filesystem::exists(layout.seek_index(bundle.sha256), ec)) continue;
            if (index.location_of(bundle.id) == "deleted") continue;
            index_one(config_, bundle, stop);
        }
    } catch (const std::exception& e) {
        log::warn("seek_index_failed", {{"error", e.what()}});
    }
}

void SeekIndexer::loop(std::stop_token stop) {
    become_idle();
    catch_up(stop);
    while (!stop.stop_requested()) {
        index::UploadRecord bundle;
        {
            std::unique_lock lock(mutex_);
            if (!wake_.wait(lock, stop, [&] { return !queue_.empty(); })) return;
            bundle = std::move(queue_.front());
            queue_.pop_front();
        }
        index_one(config_, bundle, stop);
    }
}

}  // namespace dropgate::fs
