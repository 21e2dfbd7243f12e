// In-process timing of the index queries behind `dropgate query` (no process start, no config
// load, no printing), against the naive SQL through the raw SQLite API on the same file.
//   index_query DB
// Prints `measure dropgate anchor ratio target` lines; best of 5 each, alternating.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "dropgate/index/index.hpp"

using namespace dropgate::index;
using namespace std::chrono;

namespace {

double best_ms(const std::function<std::size_t()>& fn, std::size_t& rows) {
    double best = 1e9;
    auto start = steady_clock::now();
    rows = fn();
    best = duration<double, std::milli>(steady_clock::now() - start).count();
    return best;
}

std::size_t naive(sqlite3* db, const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
        std::fprintf(stderr, "%s\n", sqlite3_errmsg(db));
        return 0;
    }
    std::size_t rows = 0;
    while (sqlite3_step(stmt) == SQLITE_ROW) ++rows;
    sqlite3_finalize(stmt);
    return rows;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DB\n", argv[0]);
        return 2;
    }
    auto index = Index::open(argv[1], true);
    sqlite3* db = nullptr;
    sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_exec(db, "PRAGMA mmap_size = 1073741824", nullptr, nullptr, nullptr);

    struct Case {
        const char* name;
        std::function<std::size_t()> dropgate;
        const char* anchor_sql;
    };
    auto find = [&](const char* glob, std::optional<std::string> customer) {
        return [&index, glob, customer] {
            UploadFilter f;
            f.customer = customer;
            std::size_t n = 0;
            index.find_members(glob, f, [&](const FoundMember&) { ++n; });
            return n;
        };
    };
    UploadFilter customer7;
    customer7.customer = "customer-7";
    UploadFilter recent_rejected;
    recent_rejected.since = Clock::now() - hours(24 * 7);
    recent_rejected.status = UploadState::rejected;
    Case cases[] = {
        {"find '*/host-17/service-3.log.*'", find("*/host-17/service-3.log.*", std::nullopt),
         "SELECT u.customer, u.path, m.* FROM members m JOIN uploads u ON u.id = m.upload_id "
         "WHERE m.path GLOB '*/host-17/service-3.log.*' ORDER BY m.upload_id, m.header_offset"},
        {"find 'var/log/app/host-42/*'", find("var/log/app/host-42/*", std::nullopt),
         "SELECT u.customer, u.path, m.* FROM members m JOIN uploads u ON u.id = m.upload_id "
         "WHERE m.path GLOB 'var/log/app/host-42/*' ORDER BY m.upload_id, m.header_offset"},
        {"find 'et?/h*' --customer customer-3", find("et?/h*", "customer-3"),
         "SELECT u.customer, u.path, m.* FROM members m JOIN uploads u ON u.id = m.upload_id "
         "WHERE m.path GLOB 'et?/h*' AND u.customer = 'customer-3' "
         "ORDER BY m.upload_id, m.header_offset"},
        {"find '*dmesg*' (every bundle)", find("*dmesg*", std::nullopt),
         "SELECT u.customer, u.path, m.* FROM members m JOIN uploads u ON u.id = m.upload_id "
         "WHERE m.path GLOB '*dmesg*' ORDER BY m.upload_id, m.header_offset"},
        {"bundles --customer customer-7", [&] { return index.uploads(customer7).size(); },
         "SELECT * FROM uploads WHERE customer = 'customer-7' ORDER BY finished_at DESC"},
        {"bundles --since 7d --status rejected",
         [&] { return index.uploads(recent_rejected).size(); },
         "SELECT * FROM uploads WHERE status = 'rejected' AND finished_at >= "
         "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-7 days') ORDER BY finished_at DESC"},
        {"members customer-3/host-3/diag-3.tgz",
         [&] {
             std::size_t n = 0;
             auto bundles = index.find_bundles("customer-3/host-3/diag-3.tgz");
             if (!bundles.empty()) index.members(bundles[0].id, [&](const Member&) { ++n; });
             return n;
         },
         "SELECT m.* FROM members m JOIN uploads u ON u.id = m.upload_id WHERE u.customer = "
         "'customer-3' AND u.path = 'host-3/diag-3.tgz' AND u.status = 'accepted' "
         "ORDER BY m.header_offset"},
        {"stats", [&] { return index.stats().size(); },
         "SELECT customer, status, count(*), sum(bytes) FROM uploads GROUP BY customer, status"},
    };
    std::printf("%-42s %9s %9s %7s %s\n", "measure (in-process, best of 5)", "dropgate", "anchor",
                "ratio", "target(<=50ms)");
    for (const auto& c : cases) {
        double d = 1e9, a = 1e9;
        std::size_t rows = 0, anchor_rows = 0;
        for (int i = 0; i < 5; ++i) {
            d = std::min(d, best_ms(c.dropgate, rows));
            a = std::min(a, best_ms([&] { return naive(db, c.anchor_sql); }, anchor_rows));
        }
        std::string name = std::string(c.name) + " (" + std::to_string(rows) + " rows)";
        if (rows != anchor_rows) name += " [anchor " + std::to_string(anchor_rows) + " rows!]";
        std::printf("%-42s %7.2fms %7.2fms %6.3fx %s\n", name.c_str(), d, a, d / a,
                    d <= 50 ? "ok" : "MISS");
        std::printf("RESULT\tindex %s in-process ms\t%.2f\t%.2f\t%.3fx\t<= 50 ms\n", name.c_str(),
                    d, a, d / a);  // for bench/run
    }
    sqlite3_close(db);
    return 0;
}
