// Small RAII owners over the raw SQLite C API: a connection (Db) and a prepared statement (Stmt).
// Every value goes through sqlite3_bind_*; SQL text is always a constant.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "dropgate/index/index.hpp"

namespace dropgate::index::sqlite {

// Throws the IndexError subtype matching `code` with "context: sqlite message".
[[noreturn]] void fail(sqlite3* db, int code, std::string_view context);

class Db {
  public:
    Db() = default;
    Db(const std::filesystem::path& file, int flags);  // sqlite3_open_v2; throws on failure
    ~Db();
    Db(Db&& other) noexcept;
    Db& operator=(Db&& other) noexcept;
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    sqlite3* get() const { return db_; }
    // Runs constant SQL without parameters (pragmas, DDL, BEGIN/COMMIT).
    void exec(const char* sql) const;
    std::int64_t pragma_int(const char* sql) const;  // first column of the first row

  private:
    sqlite3* db_ = nullptr;
};

class Stmt {
  public:
    Stmt() = default;
    Stmt(const Db& db, std::string_view sql);  // prepared with SQLITE_PREPARE_PERSISTENT
    ~Stmt();
    Stmt(Stmt&& other) noexcept;
    Stmt& operator=(Stmt&& other) noexcept;
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    // Bind by 1-based index. Text is copied (SQLITE_TRANSIENT) only when it must outlive the call.
    Stmt& bind(int index, std::int64_t value);
    Stmt& bind(int index, std::string_view text);
    Stmt& bind_null(int index);

    // Steps once: true if a row is available, false when done. Throws on error.
    bool step();
    // Steps to completion, expecting no rows (INSERT/UPDATE/DELETE).
    void run();
    // Clears bindings and resets, so the statement can be reused.
    void reset();

    std::int64_t integer(int column) const;
    std::string text(int column) const;
    bool is_null(int column) const;

  private:
    sqlite3_stmt* stmt_ = nullptr;
    sqlite3* db_ = nullptr;
};

// RAII transaction: BEGIN IMMEDIATE (the writer lock up front, so busy_timeout applies to
// the whole transaction rather than failing at the first write), ROLLBACK unless committed.
class Transaction {
  public:
    explicit Transaction(const Db& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

  private:
    const Db& db_;
    bool open_ = true;
};

}  // namespace dropgate::index::sqlite
