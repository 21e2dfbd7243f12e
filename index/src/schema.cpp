// Schema history (documented for ops in docs/index-schema.md). Never edit a step that has
// shipped: add a new one. Each step runs inside the migration transaction.
#include "schema.hpp"

#include <array>
#include <string>

namespace dropgate::index::schema {

namespace {

// Version 1: the initial schema.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE uploads (
    id                 INTEGER PRIMARY KEY,
    upload_id          TEXT    NOT NULL UNIQUE,
    customer           TEXT    NOT NULL,
    path               TEXT    NOT NULL,
    remote             TEXT    NOT NULL DEFAULT '',
    client_version     TEXT    NOT NULL DEFAULT '',
    started_at         TEXT    NOT NULL,
    finished_at        TEXT    NOT NULL,
    bytes              INTEGER NOT NULL DEFAULT 0,
    sha256             TEXT    NOT NULL DEFAULT '',
    status             TEXT    NOT NULL CHECK (status IN ('accepted', 'rejected', 'aborted')),
    reason             TEXT    NOT NULL DEFAULT '',
    gzip_members       INTEGER NOT NULL DEFAULT 0,
    uncompressed_bytes INTEGER NOT NULL DEFAULT 0,
    member_count       INTEGER NOT NULL DEFAULT 0
);
-- Bundles are immutable: one accepted bundle per name; rejected/aborted attempts may repeat.
CREATE UNIQUE INDEX uploads_accepted_name ON uploads (customer, path) WHERE status = 'accepted';
CREATE INDEX uploads_by_finished ON uploads (finished_at);
CREATE INDEX uploads_by_customer ON uploads (customer, finished_at);
CREATE INDEX uploads_by_status ON uploads (status, finished_at);

-- Every distinct member path once: `find GLOB` matches here (100k distinct paths rather
-- than 10M member rows), through the trigram index below when the pattern has a literal run
-- of 3+ characters, else through the path index (literal prefix) or a scan of this table.
CREATE TABLE member_paths (
    id   INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE member_paths_trigram USING fts5 (
    path, content = 'member_paths', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1', detail = 'none'
);

CREATE TABLE members (
    upload_id     INTEGER NOT NULL REFERENCES uploads (id),
    path          TEXT    NOT NULL,
    path_id       INTEGER NOT NULL REFERENCES member_paths (id),
    type          TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    mode          INTEGER NOT NULL,
    mtime         INTEGER NOT NULL,
    uid           INTEGER NOT NULL,
    gid           INTEGER NOT NULL,
    uname         TEXT    NOT NULL DEFAULT '',
    gname         TEXT    NOT NULL DEFAULT '',
    linkname      TEXT    NOT NULL DEFAULT '',
    header_offset INTEGER NOT NULL,
    data_offset   INTEGER NOT NULL
);
CREATE INDEX members_by_upload ON members (upload_id, header_offset);
-- upload_id in the key: find can apply the bundle filters before reading the member row.
CREATE INDEX members_by_path ON members (path_id, upload_id);
)sql";

// Version 2: `verify --repair` marks accepted rows whose bundle file is gone, without
// inventing a status (the status set stays accepted/rejected/aborted).
constexpr const char* kVersion2 = R"sql(
ALTER TABLE uploads ADD COLUMN missing_since TEXT;
)sql";

// Version 3: the status set grows to the five upload states of spec §6 ('uploading' and
// 'partial': an interrupted upload kept for resume), and a name has at most one partial. SQLite
// cannot change a CHECK constraint in place, so the table is rebuilt (sqlite.org/lang_altertable
// "making other kinds of table schema changes"; foreign keys are off while migrating).
constexpr const char* kVersion3 = R"sql(
CREATE TABLE uploads_v3 (
    id                 INTEGER PRIMARY KEY,
    upload_id          TEXT    NOT NULL UNIQUE,
    customer           TEXT    NOT NULL,
    path               TEXT    NOT NULL,
    remote             TEXT    NOT NULL DEFAULT '',
    client_version     TEXT    NOT NULL DEFAULT '',
    started_at         TEXT    NOT NULL,
    finished_at        TEXT    NOT NULL,
    bytes              INTEGER NOT NULL DEFAULT 0,
    sha256             TEXT    NOT NULL DEFAULT '',
    status             TEXT    NOT NULL CHECK (status IN
                           ('uploading', 'partial', 'accepted', 'rejected', 'aborted')),
    reason             TEXT    NOT NULL DEFAULT '',
    gzip_members       INTEGER NOT NULL DEFAULT 0,
    uncompressed_bytes INTEGER NOT NULL DEFAULT 0,
    member_count       INTEGER NOT NULL DEFAULT 0,
    missing_since      TEXT
);
INSERT INTO uploads_v3 SELECT id, upload_id, customer, path, remote, client_version, started_at,
    finished_at, bytes, sha256, status, reason, gzip_members, uncompressed_bytes, member_count,
    missing_since FROM uploads;
DROP TABLE uploads;
ALTER TABLE uploads_v3 RENAME TO uploads;
CREATE UNIQUE INDEX uploads_accepted_name ON uploads (customer, path) WHERE status = 'accepted';
CREATE UNIQUE INDEX uploads_partial_name ON uploads (customer, path) WHERE status = 'partial';
CREATE INDEX uploads_by_finished ON uploads (finished_at);
CREATE INDEX uploads_by_customer ON uploads (customer, finished_at);
CREATE INDEX uploads_by_status ON uploads (status, finished_at);
)sql";

// Version 4: replication to object storage (spec §12). The row is the outbox: the transaction
// that accepts a bundle inserts it, so no accepted bundle can be missed by the worker; bundles
// accepted before this version are queued by the migration itself. Times the worker compares
// (leases, retries) are unix milliseconds; times people read are ISO-8601 like the rest.
constexpr const char* kVersion4 = R"sql(
CREATE TABLE replicas (
    upload_id        INTEGER PRIMARY KEY REFERENCES uploads (id),
    state            TEXT    NOT NULL DEFAULT 'queued'
                         CHECK (state IN ('queued', 'replicated', 'deleted')),
    local            INTEGER NOT NULL DEFAULT 1,
    queued_at        TEXT    NOT NULL,
    tries            INTEGER NOT NULL DEFAULT 0,
    next_try_at      INTEGER NOT NULL DEFAULT 0,
    lease_until      INTEGER NOT NULL DEFAULT 0,
    lease_owner      INTEGER NOT NULL DEFAULT 0,
    error_kind       TEXT    NOT NULL DEFAULT '',
    last_error       TEXT    NOT NULL DEFAULT '',
    multipart_id     TEXT    NOT NULL DEFAULT '',
    object_key       TEXT    NOT NULL DEFAULT '',
    etag             TEXT    NOT NULL DEFAULT '',
    replicated_at    TEXT,
    local_removed_at TEXT,
    deleted_at       TEXT
);
CREATE INDEX replicas_queue ON replicas (next_try_at) WHERE state = 'queued';
CREATE INDEX replicas_by_state ON replicas (state, local);
INSERT INTO replicas (upload_id, queued_at)
    SELECT id, finished_at FROM uploads WHERE status = 'accepted' ORDER BY id;
)sql";

// Version 5: source addresses banned after failed logins (spec §14). One row per address ever
// banned (a repeat ban updates it, counting the repeats); both doors read the active ones.
constexpr const char* kVersion5 = R"sql(
CREATE TABLE bans (
    address      TEXT    PRIMARY KEY,
    door         TEXT    NOT NULL CHECK (door IN ('sftp', 'http')),
    user         TEXT    NOT NULL DEFAULT '',
    failures     INTEGER NOT NULL,
    repeats      INTEGER NOT NULL DEFAULT 1,
    banned_at    TEXT    NOT NULL,
    banned_until TEXT    NOT NULL,
    reason       TEXT    NOT NULL
);
CREATE INDEX bans_by_until ON bans (banned_until);
)sql";

constexpr std::array kSteps{kVersion1, kVersion2, kVersion3, kVersion4, kVersion5};

}  // namespace

int latest_version() {
    return static_cast<int>(kSteps.size());
}

void migrate(const sqlite::Db& db, int target) {
    if (target > latest_version() || target < 0)
        throw IndexError("no schema version " + std::to_string(target));
    // A step may rebuild a table others refer to; the references are checked before the commit
    // instead (foreign_keys cannot change inside a transaction).
    db.exec("PRAGMA foreign_keys = OFF");
    {
        sqlite::Transaction transaction(db);  // BEGIN IMMEDIATE: one migrator at a time
        int version = static_cast<int>(db.pragma_int("PRAGMA user_version"));
        if (version < target) {  // else: up to date, or written by a newer dropgate
            for (int step = version; step < target; ++step)
                db.exec(kSteps[static_cast<std::size_t>(step)]);
            sqlite::Stmt broken(db, "PRAGMA foreign_key_check");
            if (broken.step()) throw IndexError("migration would break a foreign key");
            // PRAGMA takes no bound parameters; the value is an integer we computed.
            db.exec(("PRAGMA user_version = " + std::to_string(target)).c_str());
            transaction.commit();
        }
    }
    db.exec("PRAGMA foreign_keys = ON");
}

}  // namespace dropgate::index::schema
