// The replicas table: the outbox the worker leases from and the record of where each bundle
// lives. Every statement is prepared once per connection and bound, never formatted.
#include "dropgate/index/replicas.hpp"

#include "dropgate/base/time.hpp"
#include "index_impl.hpp"

namespace dropgate::index {

namespace {

#define DROPGATE_REPLICA_COLUMNS                                                                 \
    "r.upload_id, u.customer, u.path, u.bytes, u.sha256, u.finished_at, r.state, r.local, "      \
    "r.tries, r.next_try_at, r.error_kind, r.last_error, r.multipart_id, r.object_key, r.etag, " \
    "r.replicated_at, r.local_removed_at, r.deleted_at"

ReplicaState state_from(const std::string& text) {
    if (text == "replicated") return ReplicaState::replicated;
    if (text == "deleted") return ReplicaState::deleted;
    return ReplicaState::queued;
}

std::optional<Clock::time_point> optional_time(const sqlite::Stmt& row, int column) {
    if (row.is_null(column)) return std::nullopt;
    return parse_timestamp(row.text(column));
}

Replica read_replica(const sqlite::Stmt& row) {
    Replica r;
    r.upload = row.integer(0);
    r.customer = row.text(1);
    r.path = row.text(2);
    r.bytes = static_cast<std::uint64_t>(row.integer(3));
    r.sha256 = row.text(4);
    r.accepted_at = parse_timestamp(row.text(5));
    r.state = state_from(row.text(6));
    r.local = row.integer(7) != 0;
    r.tries = row.integer(8);
    r.next_try_at_ms = row.integer(9);
    r.error_kind = row.text(10);
    r.last_error = row.text(11);
    r.multipart_id = row.text(12);
    r.object_key = row.text(13);
    r.etag = row.text(14);
    r.replicated_at = optional_time(row, 15);
    r.local_removed_at = optional_time(row, 16);
    r.deleted_at = optional_time(row, 17);
    return r;
}

std::vector<Replica> read_all(sqlite::Stmt& stmt) {
    std::vector<Replica> rows;
    while (stmt.step()) rows.push_back(read_replica(stmt));
    stmt.reset();
    return rows;
}

}  // namespace

std::string_view to_string(ReplicaState state) {
    switch (state) {
        case ReplicaState::queued:
            return "queued";
        case ReplicaState::replicated:
            return "replicated";
        default:
            return "deleted";
    }
}

std::string Replica::location() const {
    if (state == ReplicaState::deleted) return "deleted";
    if (state == ReplicaState::queued) return "local";
    return local ? "local+remote" : "remote";
}

std::optional<std::string> Index::location_of(std::int64_t upload) const {
    auto& stmt = impl_->prepared(
        impl_->location_of,
        "SELECT CASE WHEN state = 'deleted' THEN 'deleted' WHEN state = 'queued' THEN 'local' "
        "WHEN local = 1 THEN 'local+remote' ELSE 'remote' END FROM replicas WHERE upload_id = ?1");
    stmt.bind(1, upload);
    std::optional<std::string> location;
    if (stmt.step()) location = stmt.text(0);
    stmt.reset();
    return location;
}

struct Replicas::Statements {
    explicit Statements(const sqlite::Db& db) : db(db) {}
    const sqlite::Db& db;
    std::unique_ptr<sqlite::Stmt> lease, select, renew, owners, free_owner, multipart, replicated,
        retry, release, find, list, local_copies, local_removed, accepted_before, deleted, stats,
        requeue, retry_now;
    sqlite::Stmt& prepared(std::unique_ptr<sqlite::Stmt>& slot, const char* sql) {
        if (!slot) slot = std::make_unique<sqlite::Stmt>(db, sql);
        return *slot;
    }
};

Replicas::Replicas(Index index)
    : index_(std::move(index)), statements_(std::make_unique<Statements>(index_.impl_->db)) {}
Replicas::~Replicas() = default;
Replicas::Replicas(Replicas&&) noexcept = default;
Replicas& Replicas::operator=(Replicas&&) noexcept = default;

Replicas Replicas::open(const std::filesystem::path& database, bool read_only) {
    return Replicas(Index::open(database, read_only));
}

std::optional<Replica> Replicas::lease(std::int64_t now_ms, std::chrono::milliseconds lease,
                                       std::int64_t owner) {
    auto& take = statements_->prepared(
        statements_->lease,
        "UPDATE replicas SET lease_until = ?2, lease_owner = ?3, tries = tries + 1 "
        "WHERE upload_id = (SELECT upload_id FROM replicas WHERE state = 'queued' "
        "AND next_try_at <= ?1 AND lease_until <= ?1 ORDER BY next_try_at, upload_id LIMIT 1) "
        "RETURNING upload_id");
    take.bind(1, now_ms).bind(2, now_ms + lease.count()).bind(3, owner);
    std::optional<std::int64_t> upload;
    if (take.step()) upload = take.integer(0);
    take.reset();
    if (!upload) return std::nullopt;
    auto& select = statements_->prepared(statements_->select,
                                         "SELECT " DROPGATE_REPLICA_COLUMNS
                                         " FROM replicas r JOIN uploads u ON u.id = r.upload_id "
                                         "WHERE r.upload_id = ?1");
    select.bind(1, *upload);
    auto rows = read_all(select);
    if (rows.empty()) return std::nullopt;
    return rows.front();
}

void Replicas::renew(std::int64_t upload, std::int64_t owner, std::int64_t until_ms) {
    statements_
        ->prepared(statements_->renew,
                   "UPDATE replicas SET lease_until = ?3 WHERE upload_id = ?1 AND lease_owner = ?2")
        .bind(1, upload)
        .bind(2, owner)
        .bind(3, until_ms)
        .run();
}

void Replicas::free_dead_leases(const std::function<bool(std::int64_t owner)>& alive) {
    auto& owners = statements_->prepared(
        statements_->owners,
        "SELECT DISTINCT lease_owner FROM replicas WHERE state = 'queued' AND lease_until > 0");
    std::vector<std::int64_t> dead;
    while (owners.step())
        if (!alive(owners.integer(0))) dead.push_back(owners.integer(0));
    owners.reset();
    auto& free_owner = statements_->prepared(
        statements_->free_owner,
        "UPDATE replicas SET lease_until = 0 WHERE lease_owner = ?1 AND state = 'queued'");
    for (auto owner : dead) free_owner.bind(1, owner).run();
}

void Replicas::retry_permanent_failures_now() {
    statements_
        ->prepared(statements_->retry_now,
                   "UPDATE replicas SET next_try_at = 0 WHERE state = 'queued' "
                   "AND error_kind = 'permanent'")
        .run();
}

void Replicas::set_multipart(std::int64_t upload, std::string_view multipart_id) {
    statements_
        ->prepared(statements_->multipart,
                   "UPDATE replicas SET multipart_id = ?2 WHERE upload_id = ?1")
        .bind(1, upload)
        .bind(2, multipart_id)
        .run();
}

void Replicas::replicated(std::int64_t upload, std::string_view key, std::string_view etag,
                          Clock::time_point when) {
    statements_
        ->prepared(statements_->replicated,
                   "UPDATE replicas SET state = 'replicated', object_key = ?2, etag = ?3, "
                   "replicated_at = ?4, lease_until = 0, multipart_id = '', error_kind = '', "
                   "last_error = '' WHERE upload_id = ?1 AND state = 'queued'")
        .bind(1, upload)
        .bind(2, key)
        .bind(3, etag)
        .bind(4, format_timestamp(when))
        .run();
}

void Replicas::retry_later(std::int64_t upload, std::string_view kind, std::string_view error,
                           std::int64_t next_try_ms) {
    statements_
        ->prepared(statements_->retry,
                   "UPDATE replicas SET lease_until = 0, error_kind = ?2, last_error = ?3, "
                   "next_try_at = ?4 WHERE upload_id = ?1 AND state = 'queued'")
        .bind(1, upload)
        .bind(2, kind)
        .bind(3, error)
        .bind(4, next_try_ms)
        .run();
}

void Replicas::release(std::int64_t upload) {
    statements_
        ->prepared(statements_->release,
                   "UPDATE replicas SET lease_until = 0, tries = max(tries - 1, 0) "
                   "WHERE upload_id = ?1 AND state = 'queued'")
        .bind(1, upload)
        .run();
}

void Replicas::requeue(std::int64_t upload) {
    statements_
        ->prepared(statements_->requeue,
                   "UPDATE replicas SET state = 'queued', tries = 0, next_try_at = 0, "
                   "lease_until = 0, replicated_at = NULL WHERE upload_id = ?1 "
                   "AND state = 'replicated' AND local = 1")
        .bind(1, upload)
        .run();
}

std::optional<Replica> Replicas::find(std::string_view customer, std::string_view path) const {
    auto& stmt = statements_->prepared(
        statements_->find, "SELECT " DROPGATE_REPLICA_COLUMNS
                           " FROM uploads u JOIN replicas r ON r.upload_id = u.id "
                           "WHERE u.customer = ?1 AND u.path = ?2 AND u.status = 'accepted'");
    stmt.bind(1, customer).bind(2, path);
    auto rows = read_all(stmt);
    if (rows.empty()) return std::nullopt;
    return rows.front();
}

std::vector<Replica> Replicas::list(const UploadFilter& filter) const {
    auto& stmt = statements_->prepared(
        statements_->list,
        "SELECT " DROPGATE_REPLICA_COLUMNS
        " FROM replicas r JOIN uploads u ON u.id = r.upload_id "
        "WHERE (?1 IS NULL OR u.customer = ?1) AND (?2 IS NULL OR u.finished_at >= ?2) "
        "AND (?3 IS NULL OR u.status = ?3) ORDER BY u.finished_at DESC, u.id DESC");
    bind_filter(stmt, 1, filter);
    return read_all(stmt);
}

// Retention's two candidate lists and two marks: one time bound each (?1 / ?2).
std::vector<Replica> Replicas::select_before(std::unique_ptr<sqlite::Stmt>& slot, const char* sql,
                                             Clock::time_point before) const {
    auto& stmt = statements_->prepared(slot, sql);
    stmt.bind(1, format_timestamp(before));
    return read_all(stmt);
}

void Replicas::mark(std::unique_ptr<sqlite::Stmt>& slot, const char* sql, std::int64_t upload,
                    Clock::time_point when) {
    statements_->prepared(slot, sql).bind(1, upload).bind(2, format_timestamp(when)).run();
}

std::vector<Replica> Replicas::local_copies_replicated_before(Clock::time_point before) const {
    return select_before(statements_->local_copies,
                         "SELECT " DROPGATE_REPLICA_COLUMNS
                         " FROM replicas r JOIN uploads u ON u.id = r.upload_id "
                         "WHERE r.state = 'replicated' AND r.local = 1 "
                         "AND r.replicated_at <= ?1 ORDER BY r.replicated_at",
                         before);
}

void Replicas::local_removed(std::int64_t upload, Clock::time_point when) {
    mark(statements_->local_removed,
         "UPDATE replicas SET local = 0, local_removed_at = ?2 WHERE upload_id = ?1", upload, when);
}

std::vector<Replica> Replicas::accepted_before(Clock::time_point before) const {
    return select_before(statements_->accepted_before,
                         "SELECT " DROPGATE_REPLICA_COLUMNS
                         " FROM replicas r JOIN uploads u ON u.id = r.upload_id "
                         "WHERE r.state = 'replicated' AND u.finished_at <= ?1 "
                         "ORDER BY u.finished_at",
                         before);
}

void Replicas::deleted(std::int64_t upload, Clock::time_point when) {
    mark(statements_->deleted,
         "UPDATE replicas SET state = 'deleted', local = 0, deleted_at = ?2 WHERE upload_id = ?1",
         upload, when);
}

// Only the queued rows are read (through the partial index replicas_queue): the worker asks once
// a second, and the queue is small where the table holds every bundle ever accepted.
ReplicaStats Replicas::stats() const {
    auto& stmt = statements_->prepared(
        statements_->stats,
        "SELECT count(*), coalesce(sum(u.bytes), 0), "
        "coalesce(sum(r.error_kind = 'permanent'), 0), min(u.finished_at) "
        "FROM replicas r INDEXED BY replicas_queue JOIN uploads u ON u.id = r.upload_id "
        "WHERE r.state = 'queued'");
    ReplicaStats stats;
    if (stmt.step()) {
        stats.queued = static_cast<std::uint64_t>(stmt.integer(0));
        stats.queued_bytes = static_cast<std::uint64_t>(stmt.integer(1));
        stats.permanent_failures = static_cast<std::uint64_t>(stmt.integer(2));
        stats.oldest_queued = optional_time(stmt, 3);
    }
    stmt.reset();
    return stats;
}

}  // namespace dropgate::index
