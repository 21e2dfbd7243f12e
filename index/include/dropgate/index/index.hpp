// The SQLite index of uploads and their members (schema: docs/index-schema.md).
// WAL mode, busy_timeout 5 s, foreign keys on, migrations by PRAGMA user_version,
// prepared statements with bound parameters only.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dropgate/contract/states.hpp"
#include "dropgate/validator/validator.hpp"

namespace dropgate::index {

using contract::UploadState;
using validator::Member;
using validator::MemberSink;

using Clock = std::chrono::system_clock;

// Any index failure, with context ("record upload acme/logs.tgz: database is locked").
class IndexError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};
// A uniqueness rule refused the row: an accepted (customer, path) or an upload_id already exists.
// The store maps this to EEXIST.
class DuplicateError : public IndexError {
  public:
    using IndexError::IndexError;
};
// The writer lock stayed taken longer than busy_timeout.
class BusyError : public IndexError {
  public:
    using IndexError::IndexError;
};
// Index::open(read_only=true) on a database file that does not exist.
class MissingDatabaseError : public IndexError {
  public:
    using IndexError::IndexError;
};

struct UploadRecord {
    std::int64_t id = 0;    // rowid, set by the index
    std::string upload_id;  // unique per attempt (store-assigned, or the gateway's tag)
    std::string customer;
    std::string path;            // relative to the customer's directory, e.g. "host1/logs.tgz"
    std::string remote;          // "203.0.113.7:50122" or "local:pid 1234"
    std::string client_version;  // "SSH-2.0-OpenSSH_9.2p1" or ""
    Clock::time_point started_at{};
    Clock::time_point finished_at{};
    std::uint64_t bytes = 0;
    std::string sha256;
    UploadState status = UploadState::aborted;
    std::string reason;
    std::uint64_t gzip_members = 0;
    std::uint64_t uncompressed_bytes = 0;
    std::uint64_t member_count = 0;
    // Set by `verify --repair` when an accepted bundle's file is gone (schema v2); never
    // written by record().
    std::optional<Clock::time_point> missing_since;
};

// A MemberSink that spools members to a temporary file (bounded memory for
// million-member bundles) and replays them into the index at commit time.
class MemberSpool : public MemberSink {
  public:
    explicit MemberSpool(const std::filesystem::path& directory);  // creates an O_TMPFILE there
    ~MemberSpool() override;
    MemberSpool(const MemberSpool&) = delete;
    MemberSpool& operator=(const MemberSpool&) = delete;
    void add(const Member& member) override;
    std::uint64_t count() const;
    // Calls fn for every spooled member, in the order they were added.
    void replay(const std::function<void(const Member&)>& fn) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    friend class Index;
};

// Filters shared by the queries (`dropgate query --customer --since --status`).
struct UploadFilter {
    std::optional<std::string> customer;
    std::optional<Clock::time_point> since;  // finished_at >= since
    std::optional<UploadState> status;
};

// One member found by find_members(), with the bundle it belongs to.
struct FoundMember {
    std::int64_t upload = 0;  // uploads.id
    std::string customer;
    std::string bundle;  // uploads.path
    Member member;
};

// What a customer keeps in the store: accepted bundles not yet deleted for good (quotas).
struct Usage {
    std::uint64_t bundles = 0;
    std::uint64_t bytes = 0;
};

// Upload counts and sizes for one (customer, status) pair.
struct UploadStats {
    std::string customer;
    UploadState status = UploadState::accepted;
    std::uint64_t uploads = 0;
    std::uint64_t bytes = 0;
    std::uint64_t uncompressed_bytes = 0;
    std::uint64_t members = 0;
};

class Index {
  public:
    // Opens (creating and migrating to schema_version() if needed). read_only opens without
    // write access, never creates or migrates; throws MissingDatabaseError if the file is absent.
    static Index open(const std::filesystem::path& database, bool read_only = false);
    ~Index();
    Index(Index&&) noexcept;
    Index& operator=(Index&&) noexcept;

    // Writes one upload row and, for an accepted upload, all its members, in one transaction.
    // `continues`: the upload_id of the partial row this upload continues (a resumed upload is
    // the same attempt): that row is updated, upload_id included; without one (or if it is no
    // longer partial) a new row is inserted. Returns the row id. Throws DuplicateError if the
    // upload_id exists or the name already has an accepted (or another partial) row; nothing is
    // written then.
    std::int64_t record(const UploadRecord& upload, const MemberSpool* members = nullptr,
                        std::string_view continues = {});

    std::optional<UploadRecord> find_upload_id(std::string_view upload_id) const;
    std::optional<UploadRecord> find_accepted(std::string_view customer,
                                              std::string_view path) const;
    // The bundles a reference names the way `query members` accepts it: an upload_id,
    // "customer/path" (the accepted row), or else a bare path, which names every accepted
    // bundle of that path whichever its customer (so more than one means: ambiguous).
    std::vector<UploadRecord> find_bundles(std::string_view reference) const;

    // Uploads matching the filter, newest (finished_at) first.
    std::vector<UploadRecord> uploads(const UploadFilter& filter = {}) const;
    // Members of one upload (uploads.id), in archive order.
    void members(std::int64_t upload, const std::function<void(const Member&)>& fn) const;
    // Members whose path matches the GLOB pattern (SQLite GLOB: * ? [...], case-sensitive),
    // in bundles matching the filter; ordered by bundle, then archive order.
    void find_members(std::string_view glob, const UploadFilter& filter,
                      const std::function<void(const FoundMember&)>& fn) const;
    // Counts and bytes per (customer, status): customers in name order, then accepted, rejected,
    // aborted.
    std::vector<UploadStats> stats(const UploadFilter& filter = {}) const;
    // The customer's accepted bundles and their bytes, leaving out those retention deleted.
    Usage usage(const std::string& customer) const;

    // verify --repair: marks an accepted row's file as missing since `when` (kept if already
    // set), or clears the mark when the file is back.
    void mark_missing(std::int64_t upload, Clock::time_point when);
    void clear_missing(std::int64_t upload);

    // Where an accepted bundle's bytes live ("local", "local+remote", "remote", "deleted"; see
    // replicas.hpp), or nullopt for an upload without a replicas row.
    std::optional<std::string> location_of(std::int64_t upload) const;

    int user_version() const;  // PRAGMA user_version of the open database

    struct Impl;  // the connection and its prepared statements (index/src only)

  private:
    explicit Index(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    friend class Replicas;  // the replication queue shares the connection (replicas.hpp)
    friend class Bans;      // so do the bans (bans.hpp)
};

// The schema version this build writes (the number of migration steps).
int schema_version();
// Creates or migrates `database` up to `target_version` (≤ schema_version()) and stops there.
// Index::open does this with schema_version(); tests use it to build an older database.
void migrate(const std::filesystem::path& database, int target_version);

}  // namespace dropgate::index
