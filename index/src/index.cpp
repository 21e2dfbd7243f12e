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

std::int64_t Index::record(const UploadRecord& upload, const MemberSpool* members) {
    auto& db = impl_->db;
    std::string what =
        "record upload " + upload.upload_id + " (" + upload.customer + "/" + upload.path + ")";
    try {
        sqlite::Transaction transaction(db);
        auto& insert = impl_->prepared(
            impl_->insert_upload,
            "INSERT INTO uploads (upload_id, customer, path, remote, client_version, started_at, "
            "finished_at, bytes, sha256, status, reason, gzip_members, uncompressed_bytes, "
            "member_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
        insert.bind(1, upload.upload_id).bind(2, upload.customer).bind(3, upload.path);
        insert.bind(4, upload.remote).bind(5, upload.client_version);
        insert.bind(6, format_timestamp(upload.started_at));
        insert.bind(7, format_timestamp(upload.finished_at));
        insert.bind(8, static_cast<std::int64_t>(upload.bytes)).bind(9, upload.sha256);
        insert.bind(10, contract::to_string(upload.status)).bind(11, upload.reason);
        insert.bind(12, static_cast<std::int64_t>(upload.gzip_members));
        insert.bind(13, static_cast<std::int64_t>(upload.uncompressed_bytes));
        insert.bind(14, static_cast<std::int64_t>(upload.member_count));
        insert.run();
        std::int64_t id = sqlite3_last_insert_rowid(db.get());

        // Members are only kept for accepted bundles (spec §6).
        if (members && upload.status == UploadState::accepted) {
            auto& select_path =
                impl_->prepared(impl_->select_path, "SELECT id FROM member_paths WHERE path = ?1");
            auto& insert_path =
                impl_->prepared(impl_->insert_path, "INSERT INTO member_paths (path) VALUES (?1)");
            // New paths get their trigram entries in one statement after the loop: one pass
            // through the FTS5 module rather than one virtual-table call per path.
            auto& insert_trigram =
                impl_->prepared(impl_->insert_trigram,
                                "INSERT INTO member_paths_trigram (rowid, path) "
                                "SELECT id, path FROM member_paths WHERE id >= ?1 ORDER BY id");
            std::int64_t first_new_path = 0;
            auto& insert_member = impl_->prepared(
                impl_->insert_member,
                "INSERT INTO members (upload_id, path, path_id, type, size, mode, mtime, uid, gid, "
                "uname, gname, linkname, header_offset, data_offset) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
            members->replay([&](const Member& m) {
                std::int64_t path_id;
                select_path.bind(1, m.path);
                if (select_path.step()) {
                    path_id = select_path.integer(0);
                    select_path.reset();
                } else {
                    select_path.reset();
                    insert_path.bind(1, m.path).run();
                    path_id = sqlite3_last_insert_rowid(db.get());
                    if (first_new_path == 0) first_new_path = path_id;
                }
                insert_member.bind(1, id).bind(2, m.path).bind(3, path_id);
                insert_member.bind(4, std::string_view(&m.type, 1));
                insert_member.bind(5, static_cast<std::int64_t>(m.size));
                insert_member.bind(6, static_cast<std::int64_t>(m.mode));
                insert_member.bind(7, m.mtime);
                insert_member.bind(8, static_cast<std::int64_t>(m.uid));
                insert_member.bind(9, static_cast<std::int64_t>(m.gid));
                insert_member.bind(10, m.uname).bind(11, m.gname).bind(12, m.linkname);
                insert_member.bind(13, static_cast<std::int64_t>(m.header_offset));
                insert_member.bind(14, static_cast<std::int64_t>(m.data_offset));
                insert_member.run();
            });
            if (first_new_path != 0) insert_trigram.bind(1, first_new_path).run();
        }
        transaction.commit();
        return id;
    } catch (const DuplicateError& e) {
        throw DuplicateError(what + ": " + e.what());
    } catch (const BusyError& e) {
        throw BusyError(what + ": " + e.what());
    } catch (const IndexError& e) {
        throw IndexError(what + ": " + e.what());
    }
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
