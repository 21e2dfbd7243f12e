// The replication queue and the record of where each accepted bundle lives (spec §12,
// docs/index-schema.md "replicas"). Accepting a bundle queues it in the same transaction
// (Index::record); the worker leases rows, the store's retention pass reads and updates them.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dropgate/index/index.hpp"

namespace dropgate::index {

namespace sqlite {
class Stmt;
}

enum class ReplicaState { queued, replicated, deleted };
std::string_view to_string(ReplicaState state);

// One accepted bundle's replication row joined with what the worker needs of its upload row.
struct Replica {
    std::int64_t upload = 0;  // uploads.id
    std::string customer;
    std::string path;
    std::uint64_t bytes = 0;
    std::string sha256;
    Clock::time_point accepted_at{};  // uploads.finished_at
    ReplicaState state = ReplicaState::queued;
    bool local = true;  // the bundle's bytes are on local disk
    std::int64_t tries = 0;
    std::int64_t next_try_at_ms = 0;
    std::string error_kind;  // "", "transient", "permanent", "integrity"
    std::string last_error;
    std::string multipart_id;  // an upload in progress at the object store, to abort on retry
    std::string object_key;
    std::string etag;
    std::optional<Clock::time_point> replicated_at, local_removed_at, deleted_at;

    // "local", "local+remote", "remote" or "deleted".
    std::string location() const;
};

// The replication queue: what the worker's gauges show.
struct ReplicaStats {
    std::uint64_t queued = 0, queued_bytes = 0;
    std::uint64_t permanent_failures = 0;  // queued rows whose last try failed permanently
    std::optional<Clock::time_point> oldest_queued{};  // accepted_at of the oldest queued row
};

class Replicas {
  public:
    static Replicas open(const std::filesystem::path& database, bool read_only = false);
    ~Replicas();
    Replicas(Replicas&&) noexcept;
    Replicas& operator=(Replicas&&) noexcept;

    // The next queued bundle that is due and not leased, leased to `owner` until now + `lease`
    // (tries counted). One statement, so two workers never get the same row.
    std::optional<Replica> lease(std::int64_t now_ms, std::chrono::milliseconds lease,
                                 std::int64_t owner);
    void renew(std::int64_t upload, std::int64_t owner, std::int64_t until_ms);
    // Leases held by owners that `alive` says are gone (a killed worker) are freed at once.
    void free_dead_leases(const std::function<bool(std::int64_t owner)>& alive);
    // At a worker's start: what failed permanently (credentials, bucket) is due at once, since
    // a restart is how a fixed config takes effect.
    void retry_permanent_failures_now();
    void set_multipart(std::int64_t upload, std::string_view multipart_id);
    void replicated(std::int64_t upload, std::string_view key, std::string_view etag,
                    Clock::time_point when);
    // A failed try: the row stays queued, due again at `next_try_ms`, lease freed.
    void retry_later(std::int64_t upload, std::string_view kind, std::string_view error,
                     std::int64_t next_try_ms);
    // Stopping mid-transfer: the lease is given back and the try not counted.
    void release(std::int64_t upload);

    // verify --remote --repair: a replicated bundle whose object is gone is queued again.
    void requeue(std::int64_t upload);

    std::optional<Replica> find(std::string_view customer, std::string_view path) const;
    std::vector<Replica> list(const UploadFilter& filter = {}) const;
    // Replicated bundles still on local disk, replicated at or before `before`.
    std::vector<Replica> local_copies_replicated_before(Clock::time_point before) const;
    void local_removed(std::int64_t upload, Clock::time_point when);
    // Replicated bundles accepted at or before `before` (not yet deleted).
    std::vector<Replica> accepted_before(Clock::time_point before) const;
    void deleted(std::int64_t upload, Clock::time_point when);
    ReplicaStats stats() const;

  private:
    struct Statements;
    std::vector<Replica> select_before(std::unique_ptr<sqlite::Stmt>& slot, const char* sql,
                                       Clock::time_point before) const;
    void mark(std::unique_ptr<sqlite::Stmt>& slot, const char* sql, std::int64_t upload,
              Clock::time_point when);
    explicit Replicas(Index index);
    Index index_;
    std::unique_ptr<Statements> statements_;
};

}  // namespace dropgate::index
