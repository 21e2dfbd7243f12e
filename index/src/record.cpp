// Writing the index: one upload row (inserted, or the partial row it continues updated) and,
// for an accepted bundle, all its members, in one transaction.
#include "dropgate/base/time.hpp"
#include "dropgate/index/index.hpp"
#include "index_impl.hpp"

namespace dropgate::index {

namespace {

// Binds every column of `upload` to ?1..?14 in the order of kUploadValues.
void bind_upload(sqlite::Stmt& stmt, const UploadRecord& upload) {
    stmt.bind(1, upload.upload_id).bind(2, upload.customer).bind(3, upload.path);
    stmt.bind(4, upload.remote).bind(5, upload.client_version);
    stmt.bind(6, format_timestamp(upload.started_at));
    stmt.bind(7, format_timestamp(upload.finished_at));
    stmt.bind(8, static_cast<std::int64_t>(upload.bytes)).bind(9, upload.sha256);
    stmt.bind(10, contract::to_string(upload.status)).bind(11, upload.reason);
    stmt.bind(12, static_cast<std::int64_t>(upload.gzip_members));
    stmt.bind(13, static_cast<std::int64_t>(upload.uncompressed_bytes));
    stmt.bind(14, static_cast<std::int64_t>(upload.member_count));
}

// The row of an upload that continues an interrupted one is that one's row, updated (it is the
// same attempt); otherwise a new row. Returns the row id.
std::int64_t write_row(Index::Impl& impl, const UploadRecord& upload, std::string_view continues) {
    if (!continues.empty()) {
        auto& update = impl.prepared(
            impl.update_upload,
            "UPDATE uploads SET upload_id = ?1, customer = ?2, path = ?3, remote = ?4, "
            "client_version = ?5, started_at = ?6, finished_at = ?7, bytes = ?8, sha256 = ?9, "
            "status = ?10, reason = ?11, gzip_members = ?12, uncompressed_bytes = ?13, "
            "member_count = ?14 WHERE upload_id = ?15 AND status IN ('uploading', 'partial') "
            "RETURNING id");
        bind_upload(update, upload);
        update.bind(15, continues);
        if (update.step()) {
            std::int64_t id = update.integer(0);
            update.reset();
            return id;
        }
        update.reset();
    }
    auto& insert = impl.prepared(
        impl.insert_upload,
        "INSERT INTO uploads (upload_id, customer, path, remote, client_version, started_at, "
        "finished_at, bytes, sha256, status, reason, gzip_members, uncompressed_bytes, "
        "member_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
    bind_upload(insert, upload);
    insert.run();
    return sqlite3_last_insert_rowid(impl.db.get());
}

// Every member once, with its path interned in member_paths (and new paths in the trigram
// index, in one statement after the loop: one pass through FTS5, not a call per path).
void write_members(Index::Impl& impl, std::int64_t upload, const MemberSpool& members) {
    auto& select_path =
        impl.prepared(impl.select_path, "SELECT id FROM member_paths WHERE path = ?1");
    auto& insert_path =
        impl.prepared(impl.insert_path, "INSERT INTO member_paths (path) VALUES (?1)");
    auto& insert_trigram =
        impl.prepared(impl.insert_trigram,
                      "INSERT INTO member_paths_trigram (rowid, path) "
                      "SELECT id, path FROM member_paths WHERE id >= ?1 ORDER BY id");
    auto& insert_member = impl.prepared(
        impl.insert_member,
        "INSERT INTO members (upload_id, path, path_id, type, size, mode, mtime, uid, gid, "
        "uname, gname, linkname, header_offset, data_offset) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
    std::int64_t first_new_path = 0;
    members.replay([&](const Member& m) {
        std::int64_t path_id;
        select_path.bind(1, m.path);
        if (select_path.step()) {
            path_id = select_path.integer(0);
            select_path.reset();
        } else {
            select_path.reset();
            insert_path.bind(1, m.path).run();
            path_id = sqlite3_last_insert_rowid(impl.db.get());
            if (first_new_path == 0) first_new_path = path_id;
        }
        insert_member.bind(1, upload).bind(2, m.path).bind(3, path_id);
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

}  // namespace

std::int64_t Index::record(const UploadRecord& upload, const MemberSpool* members,
                           std::string_view continues) {
    std::string what =
        "record upload " + upload.upload_id + " (" + upload.customer + "/" + upload.path + ")";
    try {
        sqlite::Transaction transaction(impl_->db);
        std::int64_t id = write_row(*impl_, upload, continues);
        // Members are only kept for accepted bundles (spec §6).
        if (members && upload.status == UploadState::accepted) write_members(*impl_, id, *members);
        // The outbox: accepting a bundle and queueing it for replication are one commit.
        if (upload.status == UploadState::accepted)
            impl_
                ->prepared(impl_->enqueue_replica,
                           "INSERT INTO replicas (upload_id, queued_at) VALUES (?1, ?2)")
                .bind(1, id)
                .bind(2, format_timestamp(upload.finished_at))
                .run();
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

}  // namespace dropgate::index
