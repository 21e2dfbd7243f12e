// The read queries behind `dropgate query`: bundles, members, find, stats.
#include <string>

#include "dropgate/base/time.hpp"
#include "dropgate/index/index.hpp"
#include "index_impl.hpp"

namespace dropgate::index {

namespace {

// Filter clause over `uploads u`, parameters ?1 customer, ?2 since, ?3 status (NULL = any).
// uploads holds one row per attempt (10^4..10^5 rows), so these stay cheap even when the
// optional-parameter form keeps the planner from using the customer/status indexes.
#define DROPGATE_FILTER                                                        \
    " (?1 IS NULL OR u.customer = ?1) AND (?2 IS NULL OR u.finished_at >= ?2)" \
    " AND (?3 IS NULL OR u.status = ?3) "

#define DROPGATE_MEMBER_COLUMNS                                                             \
    "m.path, m.type, m.size, m.mode, m.mtime, m.uid, m.gid, m.uname, m.gname, m.linkname, " \
    "m.header_offset, m.data_offset"

Member read_member(const sqlite::Stmt& row, int first) {
    Member m;
    m.path = row.text(first);
    std::string type = row.text(first + 1);
    m.type = type.empty() ? '0' : type[0];
    m.size = static_cast<std::uint64_t>(row.integer(first + 2));
    m.mode = static_cast<std::uint32_t>(row.integer(first + 3));
    m.mtime = row.integer(first + 4);
    m.uid = static_cast<std::uint64_t>(row.integer(first + 5));
    m.gid = static_cast<std::uint64_t>(row.integer(first + 6));
    m.uname = row.text(first + 7);
    m.gname = row.text(first + 8);
    m.linkname = row.text(first + 9);
    m.header_offset = static_cast<std::uint64_t>(row.integer(first + 10));
    m.data_offset = static_cast<std::uint64_t>(row.integer(first + 11));
    return m;
}

// What a GLOB pattern offers an index: its literal prefix (before the first wildcard) and its
// longest run of literal characters (the trigram index needs at least 3).
struct GlobShape {
    std::string prefix;
    std::size_t longest_literal_run = 0;
};

GlobShape shape_of(std::string_view glob) {
    GlobShape shape;
    bool in_prefix = true;
    std::size_t run = 0;
    for (std::size_t i = 0; i < glob.size(); ++i) {
        char c = glob[i];
        if (c == '*' || c == '?' || c == '[') {
            in_prefix = false;
            run = 0;
            if (c == '[') {  // skip the class: "[]...]" and "[^]...]" include a literal ']'
                std::size_t j = i + 1;
                if (j < glob.size() && glob[j] == '^') ++j;
                if (j < glob.size() && glob[j] == ']') ++j;
                while (j < glob.size() && glob[j] != ']') ++j;
                i = j;
            }
            continue;
        }
        if (in_prefix) shape.prefix += c;
        shape.longest_literal_run = std::max(shape.longest_literal_run, ++run);
    }
    return shape;
}

// The smallest string greater than every string starting with `prefix`; "" if none.
std::string prefix_end(std::string prefix) {
    while (!prefix.empty()) {
        auto& last = reinterpret_cast<unsigned char&>(prefix.back());
        if (last < 0xff) {
            ++last;
            return prefix;
        }
        prefix.pop_back();
    }
    return prefix;
}

}  // namespace

void bind_filter(sqlite::Stmt& stmt, int first, const UploadFilter& filter) {
    if (filter.customer)
        stmt.bind(first, *filter.customer);
    else
        stmt.bind_null(first);
    if (filter.since)
        stmt.bind(first + 1, format_timestamp(*filter.since));
    else
        stmt.bind_null(first + 1);
    if (filter.status)
        stmt.bind(first + 2, contract::to_string(*filter.status));
    else
        stmt.bind_null(first + 2);
}

std::vector<UploadRecord> Index::uploads(const UploadFilter& filter) const {
    auto& stmt = impl_->prepared(impl_->list_uploads, "SELECT " DROPGATE_UPLOAD_COLUMNS
                                                      " FROM uploads u WHERE" DROPGATE_FILTER
                                                      "ORDER BY u.finished_at DESC, u.id DESC");
    bind_filter(stmt, 1, filter);
    std::vector<UploadRecord> rows;
    while (stmt.step()) rows.push_back(read_upload(stmt));
    stmt.reset();
    return rows;
}

void Index::members(std::int64_t upload, const std::function<void(const Member&)>& fn) const {
    auto& stmt = impl_->prepared(impl_->list_members, "SELECT " DROPGATE_MEMBER_COLUMNS
                                                      " FROM members m WHERE m.upload_id = ?1 "
                                                      "ORDER BY m.header_offset");
    stmt.bind(1, upload);
    try {
        while (stmt.step()) fn(read_member(stmt, 0));
    } catch (...) {
        stmt.reset();
        throw;
    }
    stmt.reset();
}

void Index::find_members(std::string_view glob, const UploadFilter& filter,
                         const std::function<void(const FoundMember&)>& fn) const {
    // Match the pattern against the distinct paths first, then fan out to member rows through
    // members_by_path; CROSS JOIN pins that order for the planner.
    GlobShape shape = shape_of(glob);
    std::string end = prefix_end(shape.prefix);
    sqlite::Stmt* stmt;
    if (shape.longest_literal_run >= 3) {
        stmt = &impl_->prepared(
            impl_->find_trigram,
            "SELECT m.upload_id, u.customer, u.path, " DROPGATE_MEMBER_COLUMNS
            " FROM member_paths_trigram p CROSS JOIN members m ON m.path_id = p.rowid"
            " CROSS JOIN uploads u ON u.id = m.upload_id WHERE" DROPGATE_FILTER
            "AND p.path GLOB ?4 ORDER BY m.upload_id, m.header_offset");
    } else if (!shape.prefix.empty() && !end.empty()) {
        stmt = &impl_->prepared(impl_->find_prefix,
                                "SELECT m.upload_id, u.customer, u.path, " DROPGATE_MEMBER_COLUMNS
                                " FROM member_paths p CROSS JOIN members m ON m.path_id = p.id"
                                " CROSS JOIN uploads u ON u.id = m.upload_id WHERE" DROPGATE_FILTER
                                "AND p.path >= ?5 AND p.path < ?6 AND p.path GLOB ?4"
                                " ORDER BY m.upload_id, m.header_offset");
        stmt->bind(5, shape.prefix).bind(6, end);
    } else {
        stmt = &impl_->prepared(impl_->find_scan,
                                "SELECT m.upload_id, u.customer, u.path, " DROPGATE_MEMBER_COLUMNS
                                " FROM member_paths p CROSS JOIN members m ON m.path_id = p.id"
                                " CROSS JOIN uploads u ON u.id = m.upload_id WHERE" DROPGATE_FILTER
                                "AND p.path GLOB ?4 ORDER BY m.upload_id, m.header_offset");
    }
    bind_filter(*stmt, 1, filter);
    stmt->bind(4, glob);
    try {
        while (stmt->step()) {
            FoundMember found;
            found.upload = stmt->integer(0);
            found.customer = stmt->text(1);
            found.bundle = stmt->text(2);
            found.member = read_member(*stmt, 3);
            fn(found);
        }
    } catch (...) {
        stmt->reset();
        throw;
    }
    stmt->reset();
}

std::vector<UploadStats> Index::stats(const UploadFilter& filter) const {
    auto& stmt = impl_->prepared(
        impl_->stats,
        "SELECT u.customer, u.status, count(*), sum(u.bytes), sum(u.uncompressed_bytes), "
        "sum(u.member_count) FROM uploads u WHERE" DROPGATE_FILTER
        "GROUP BY u.customer, u.status ORDER BY u.customer, "
        "CASE u.status WHEN 'accepted' THEN 0 WHEN 'rejected' THEN 1 ELSE 2 END");
    bind_filter(stmt, 1, filter);
    std::vector<UploadStats> rows;
    while (stmt.step()) {
        UploadStats s;
        s.customer = stmt.text(0);
        s.status = contract::parse_state(stmt.text(1)).value_or(UploadState::aborted);
        s.uploads = static_cast<std::uint64_t>(stmt.integer(2));
        s.bytes = static_cast<std::uint64_t>(stmt.integer(3));
        s.uncompressed_bytes = static_cast<std::uint64_t>(stmt.integer(4));
        s.members = static_cast<std::uint64_t>(stmt.integer(5));
        rows.push_back(std::move(s));
    }
    stmt.reset();
    return rows;
}

Usage Index::usage(const std::string& customer) const {
    auto& stmt = impl_->prepared(
        impl_->usage,
        "SELECT count(*), coalesce(sum(u.bytes), 0) FROM uploads u WHERE u.customer = ?1 AND "
        "u.status = 'accepted' AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.upload_id = u.id "
        "AND r.state = 'deleted')");
    stmt.bind(1, customer);
    Usage usage;
    if (stmt.step()) {
        usage.bundles = static_cast<std::uint64_t>(stmt.integer(0));
        usage.bytes = static_cast<std::uint64_t>(stmt.integer(1));
    }
    stmt.reset();
    return usage;
}

}  // namespace dropgate::index
