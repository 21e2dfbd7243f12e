// Opening, migrating and writing the index; single-row lookups.
//
// Durability: the index runs WAL with synchronous=NORMAL, so a commit is durable once the
// WAL is checkpointed or the next sync happens; a power loss can drop the last few commits
// but never corrupts the database. That is still crash-safe for the publish order (data
// fsync -> rename into bundles/ -> index commit): a lost commit leaves a bundle file without
// its row, which `verify` reports as an orphan and store start-up reconciliation / `verify
// --repair` deal with; it can never leave a row claiming a bundle whose data is not on disk.
#include <filesystem>
#include <string>

#include "dropgate/base/time.hpp"
#include "dropgate/index/index.hpp"
#include "index_impl.hpp"
#include "schema.hpp"

namespace dropgate::index {

int schema_version() {
    return schema::latest_version();
}

namespace {

sqlite::Db open_writable(const std::filesystem::path& database) {
    sqlite::Db db(database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3_busy_timeout(db.get(), 5000);
    // 16 KiB pages (only takes effect on a new, empty database): a cold query touches a
    // quarter as many pages, and each page costs a fault or a pread (measured: bench/query.sh).
    db.exec("PRAGMA page_size = 16384");
    {
        // journal_mode returns a row; WAL persists in the file once set.
        sqlite::Stmt wal(db, "PRAGMA journal_mode = WAL");
        if (!wal.step() || wal.text(0) != "wal")
            throw IndexError("index " + database.string() + ": cannot switch to WAL mode");
    }
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    // A million-member transaction touches more b-tree pages than the default 2 MiB cache holds;
    // 64 MiB keeps it from spilling dirty pages into the WAL mid-transaction.
    db.exec("PRAGMA cache_size = -65536");
    db.exec("PRAGMA mmap_size = 1073741824");
    return db;
}

}  // namespace

void migrate(const std::filesystem::path& database, int target_version) {
    sqlite::Db db = open_writable(database);
    schema::migrate(db, target_version);
}

Index::Index(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Index::~Index() = default;
Index::Index(Index&&) noexcept = default;
Index& Index::operator=(Index&&) noexcept = default;

Index Index::open(const std::filesystem::path& database, bool read_only) {
    auto impl = std::make_unique<Impl>();
    impl->read_only = read_only;
    if (read_only) {
        std::error_code ec;
        if (!std::filesystem::exists(database, ec))
            throw MissingDatabaseError("index database " + database.string() +
                                       " does not exist (it is created when the store starts)");
        impl->db = sqlite::Db(database, SQLITE_OPEN_READONLY);
        sqlite3_busy_timeout(impl->db.get(), 5000);
        // Queries read pages through a memory map: a page-cache hit costs no pread syscall,
        // which is most of a query's time on a 100 MB+ index (measured: bench/query.sh).
        impl->db.exec("PRAGMA mmap_size = 1073741824");
        int version = static_cast<int>(impl->db.pragma_int("PRAGMA user_version"));
        if (version == 0)
            throw IndexError("index database " + database.string() +
                             " is not a dropgate index (user_version 0)");
        if (version < schema::latest_version())
            throw IndexError("index database " + database.string() + " has schema version " +
                             std::to_string(version) + ", older than this dropgate's " +
                             std::to_string(schema::latest_version()) +
                             "; start the store (or run `dropgate verify`) once to migrate it");
    } else {
        impl->db = open_writable(database);
        schema::migrate(impl->db, schema::latest_version());
    }
    return Index(std::move(impl));
}

int Index::user_version() const {
    return static_cast<int>(impl_->db.pragma_int("PRAGMA user_version"));
}

UploadRecord read_upload(const sqlite::Stmt& row) {
    UploadRecord r;
    r.id = row.integer(0);
    r.upload_id = row.text(1);
    r.customer = row.text(2);
    r.path = row.text(3);
    r.remote = row.text(4);
    r.client_version = row.text(5);
    r.started_at = parse_timestamp(row.text(6));
    r.finished_at = parse_timestamp(row.text(7));
    r.bytes = static_cast<std::uint64_t>(row.integer(8));
    r.sha256 = row.text(9);
    r.status = contract::parse_state(row.text(10)).value_or(UploadState::aborted);
    r.reason = row.text(11);
    r.gzip_members = static_cast<std::uint64_t>(row.integer(12));
    r.uncompressed_bytes = static_cast<std::uint64_t>(row.integer(13));
    r.member_count = static_cast<std::uint64_t>(row.integer(14));
    if (!row.is_null(15)) r.missing_since = parse_timestamp(row.text(15));
    return r;
}

std::optional<UploadRecord> Index::find_upload_id(std::string_view upload_id) const {
    auto& stmt = impl_->prepared(impl_->by_upload_id, "SELECT " DROPGATE_UPLOAD_COLUMNS
                                                      " FROM uploads WHERE upload_id = ?1");
    stmt.bind(1, upload_id);
    std::optional<UploadRecord> found;
    if (stmt.step()) found = read_upload(stmt);
    stmt.reset();
    return found;
}

std::optional<UploadRecord> Index::find_accepted(std::string_view customer,
                                                 std::string_view path) const {
    auto& stmt = impl_->prepared(impl_->by_name,
                                 "SELECT " DROPGATE_UPLOAD_COLUMNS
                                 " FROM uploads "
                                 "WHERE customer = ?1 AND path = ?2 AND status = 'accepted'");
    stmt.bind(1, customer).bind(2, path);
    std::optional<UploadRecord> found;
    if (stmt.step()) found = read_upload(stmt);
    stmt.reset();
    return found;
}

std::vector<UploadRecord> Index::find_bundles(std::string_view reference) const {
    if (auto found = find_upload_id(reference)) return {*found};
    if (auto slash = reference.find('/'); slash != std::string_view::npos)
        if (auto found = find_accepted(reference.substr(0, slash), reference.substr(slash + 1)))
            return {*found};
    auto& stmt = impl_->prepared(impl_->by_path, "SELECT " DROPGATE_UPLOAD_COLUMNS
                                                 " FROM uploads WHERE path = ?1 AND status = "
                                                 "'accepted' ORDER BY customer");
    stmt.bind(1, reference);
    std::vector<UploadRecord> found;
    while (stmt.step()) found.push_back(read_upload(stmt));
    stmt.reset();
    return found;
}

void Index::mark_missing(std::int64_t upload, Clock::time_point when) {
    auto& stmt = impl_->prepared(
        impl_->mark_missing,
        "UPDATE uploads SET missing_since = coalesce(missing_since, ?2) WHERE id = ?1");
    stmt.bind(1, upload).bind(2, format_timestamp(when)).run();
}

void Index::clear_missing(std::int64_t upload) {
    auto& stmt = impl_->prepared(impl_->clear_missing,
                                 "UPDATE uploads SET missing_since = NULL WHERE id = ?1");
    stmt.bind(1, upload).run();
}

}  // namespace dropgate::index
