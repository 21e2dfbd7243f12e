// Index internals shared by index.cpp (open, record, lookups) and queries.cpp.
#pragma once

#include <memory>

#include "dropgate/index/index.hpp"
#include "sqlite.hpp"

namespace dropgate::index {

struct Index::Impl {
    sqlite::Db db;
    bool read_only = false;
    // Statements are prepared on first use and kept for the connection's life.
    std::unique_ptr<sqlite::Stmt> insert_upload, update_upload, select_path, insert_path,
        insert_trigram, insert_member, by_upload_id, by_name, by_path, list_uploads, list_members,
        find_trigram, find_prefix, find_scan, stats, mark_missing, clear_missing, enqueue_replica,
        location_of, usage;

    sqlite::Stmt& prepared(std::unique_ptr<sqlite::Stmt>& slot, const char* sql) {
        if (!slot) slot = std::make_unique<sqlite::Stmt>(db, sql);
        return *slot;
    }
};

// Columns of an UploadRecord, in the order read_upload() expects.
#define DROPGATE_UPLOAD_COLUMNS                                                        \
    "id, upload_id, customer, path, remote, client_version, started_at, finished_at, " \
    "bytes, sha256, status, reason, gzip_members, uncompressed_bytes, member_count, "  \
    "missing_since"

UploadRecord read_upload(const sqlite::Stmt& row);
// Binds filter values to ?first (customer), ?first+1 (since), ?first+2 (status); NULL if unset.
void bind_filter(sqlite::Stmt& stmt, int first, const UploadFilter& filter);

}  // namespace dropgate::index
