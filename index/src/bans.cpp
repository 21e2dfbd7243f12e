// The bans table. Every statement is prepared once per connection and bound, never formatted.
#include "dropgate/index/bans.hpp"

#include "dropgate/base/time.hpp"
#include "index_impl.hpp"

namespace dropgate::index {

namespace {

#define DROPGATE_BAN_COLUMNS \
    "address, door, user, failures, repeats, banned_at, banned_until, reason"

Ban read_ban(const sqlite::Stmt& row) {
    Ban ban;
    ban.address = row.text(0);
    ban.door = row.text(1);
    ban.user = row.text(2);
    ban.failures = static_cast<std::uint32_t>(row.integer(3));
    ban.repeats = static_cast<std::uint32_t>(row.integer(4));
    ban.banned_at = parse_timestamp(row.text(5));
    ban.banned_until = parse_timestamp(row.text(6));
    ban.reason = row.text(7);
    return ban;
}

std::vector<Ban> read_all(sqlite::Stmt& stmt) {
    std::vector<Ban> rows;
    while (stmt.step()) rows.push_back(read_ban(stmt));
    stmt.reset();
    return rows;
}

}  // namespace

struct Bans::Statements {
    explicit Statements(const sqlite::Db& db) : db(db) {}
    const sqlite::Db& db;
    std::unique_ptr<sqlite::Stmt> find, upsert, active, all, lift;
    sqlite::Stmt& prepared(std::unique_ptr<sqlite::Stmt>& slot, const char* sql) {
        if (!slot) slot = std::make_unique<sqlite::Stmt>(db, sql);
        return *slot;
    }
};

Bans::Bans(Index index)
    : index_(std::move(index)), statements_(std::make_unique<Statements>(index_.impl_->db)) {}
Bans::~Bans() = default;
Bans::Bans(Bans&&) noexcept = default;
Bans& Bans::operator=(Bans&&) noexcept = default;

Bans Bans::open(const std::filesystem::path& database, bool read_only) {
    return Bans(Index::open(database, read_only));
}

Ban Bans::impose(Ban ban, const std::function<void(Ban&, const std::optional<Ban>&)>& decide) {
    Statements& s = *statements_;
    sqlite::Transaction transaction(s.db);
    auto& find = s.prepared(s.find, "SELECT " DROPGATE_BAN_COLUMNS " FROM bans WHERE address = ?1");
    find.bind(1, ban.address);
    std::optional<Ban> previous;
    if (find.step()) previous = read_ban(find);
    find.reset();
    decide(ban, previous);
    auto& upsert = s.prepared(s.upsert, "INSERT OR REPLACE INTO bans (" DROPGATE_BAN_COLUMNS
                                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    upsert.bind(1, ban.address)
        .bind(2, ban.door)
        .bind(3, ban.user)
        .bind(4, std::int64_t(ban.failures))
        .bind(5, std::int64_t(ban.repeats))
        .bind(6, format_timestamp(ban.banned_at))
        .bind(7, format_timestamp(ban.banned_until))
        .bind(8, ban.reason)
        .run();
    transaction.commit();
    return ban;
}

std::vector<Ban> Bans::active(Clock::time_point now) const {
    auto& stmt = statements_->prepared(
        statements_->active, "SELECT " DROPGATE_BAN_COLUMNS " FROM bans WHERE banned_until > ?1");
    stmt.bind(1, format_timestamp(now));
    return read_all(stmt);
}

std::vector<Ban> Bans::all() const {
    auto& stmt = statements_->prepared(
        statements_->all, "SELECT " DROPGATE_BAN_COLUMNS " FROM bans ORDER BY banned_at DESC");
    return read_all(stmt);
}

bool Bans::lift(const std::string& address) {
    auto& stmt = statements_->prepared(statements_->lift, "DELETE FROM bans WHERE address = ?1");
    stmt.bind(1, address).run();
    return sqlite3_changes(statements_->db.get()) > 0;
}

}  // namespace dropgate::index
