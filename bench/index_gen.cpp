// Fills an index with a realistic fleet of bundles for bench/query.sh, through the same
// Index::record path the store uses (one transaction per bundle, members via MemberSpool).
//   index_gen DB [--bundles 10000] [--members 100] [--customers 20] [--hosts 200]
// Members are var/log/app/<host>/service-<n>.log.<k> plus a few system files; every bundle
// comes from one host, so the same paths recur across a host's bundles as they do in real
// diagnostic collections. Prints the record throughput.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "dropgate/index/index.hpp"

using namespace dropgate::index;
using namespace std::chrono;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr,
                     "usage: %s DB [--bundles N] [--members N] [--customers N] [--hosts N]\n",
                     argv[0]);
        return 2;
    }
    std::filesystem::path db = argv[1];
    long bundles = 10000, members = 100, customers = 20, hosts = 200;
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        long value = std::atol(argv[i + 1]);
        if (flag == "--bundles")
            bundles = value;
        else if (flag == "--members")
            members = value;
        else if (flag == "--customers")
            customers = value;
        else if (flag == "--hosts")
            hosts = value;
    }
    auto index = Index::open(db);
    auto spool_dir = db.parent_path().empty() ? std::filesystem::path(".") : db.parent_path();
    auto start = steady_clock::now();
    auto base = system_clock::now() - hours(24 * 90);
    std::uint64_t member_rows = 0;
    double slowest = 0;
    for (long b = 0; b < bundles; ++b) {
        long host = b % hosts;
        long customer = host % customers;
        std::string host_name = "host-" + std::to_string(host);
        UploadRecord r;
        r.upload_id = "bench-" + std::to_string(b);
        r.customer = "customer-" + std::to_string(customer);
        r.path = host_name + "/diag-" + std::to_string(b) + ".tgz";
        r.remote = "198.51.100." + std::to_string(host % 250) + ":50000";
        r.client_version = "SSH-2.0-OpenSSH_9.2p1";
        r.finished_at = base + seconds(b * 777);  // spread over ~90 days
        r.started_at = r.finished_at - seconds(20);
        r.sha256 = std::string(64, 'f');
        r.bytes = 1'000'000 + static_cast<std::uint64_t>(b) * 37;
        r.status = b % 20 == 7     ? UploadState::rejected
                   : b % 100 == 13 ? UploadState::aborted
                                   : UploadState::accepted;
        if (r.status == UploadState::rejected) r.reason = "gzip CRC mismatch in member 2";
        MemberSpool spool(spool_dir);
        if (r.status == UploadState::accepted) {
            std::uint64_t offset = 0;
            for (long m = 0; m < members; ++m) {
                Member member;
                if (m < 3) {
                    static const char* system_files[] = {"etc/hosts", "proc/meminfo", "dmesg.txt"};
                    member.path = system_files[m];
                } else {
                    member.path = "var/log/app/" + host_name + "/service-" + std::to_string(m / 5) +
                                  ".log." + std::to_string(m % 5);
                }
                member.size = 4096 + static_cast<std::uint64_t>(m) * 13;
                member.mode = 0644;
                member.mtime = 1'790'000'000 + m;
                member.uname = member.gname = "app";
                member.header_offset = offset;
                member.data_offset = offset + 512;
                offset += 512 + (member.size + 511) / 512 * 512;
                spool.add(member);
            }
            r.member_count = spool.count();
            r.uncompressed_bytes = offset + 1024;
            member_rows += spool.count();
        }
        auto t0 = steady_clock::now();
        index.record(r, &spool);
        slowest = std::max(slowest, duration<double>(steady_clock::now() - t0).count());
    }
    double seconds_taken = duration<double>(steady_clock::now() - start).count();
    std::printf(
        "generated %ld bundles, %llu member rows in %.2f s (%.0f members/s, slowest record "
        "%.3f s)\n",
        bundles, static_cast<unsigned long long>(member_rows), seconds_taken,
        member_rows / seconds_taken, slowest);
    return 0;
}
