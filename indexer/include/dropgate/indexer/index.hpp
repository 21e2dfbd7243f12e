// The SQLite index of uploads and their members (schema: docs/index-schema.md).
// WAL mode, busy_timeout, migrations by PRAGMA user_version, prepared statements only.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dropgate/indexer/validator.hpp"

namespace dropgate::indexer {

enum class UploadStatus { accepted, rejected, aborted };
std::string_view to_string(UploadStatus status);

using Clock = std::chrono::system_clock;

struct UploadRecord {
    std::int64_t id = 0;          // rowid, set by the index
    std::string upload_id;        // unique per attempt (store-assigned, or the gateway's tag)
    std::string customer;
    std::string path;             // relative to the customer's directory, e.g. "host1/logs.tgz"
    std::string remote;           // "203.0.113.7:50122" or "local:pid 1234"
    std::string client_version;   // "SSH-2.0-OpenSSH_9.2p1" or ""
    Clock::time_point started_at{};
    Clock::time_point finished_at{};
    std::uint64_t bytes = 0;
    std::string sha256;
    UploadStatus status = UploadStatus::aborted;
    std::string reason;
    std::uint64_t gzip_members = 0;
    std::uint64_t uncompressed_bytes = 0;
    std::uint64_t member_count = 0;
};

// A MemberSink that spools members to a temporary file (bounded memory for
// million-member bundles) and replays them into the index at commit time.
class MemberSpool : public MemberSink {
public:
    explicit MemberSpool(const std::filesystem::path& directory);  // creates an O_TMPFILE there
    ~MemberSpool() override;
    void add(const Member& member) override;
    std::uint64_t count() const;
    // Calls fn for every spooled member, in the order they were added.
    void replay(const std::function<void(const Member&)>& fn) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    friend class Index;
};

class Index {
public:
    // Opens (creating and migrating if needed). read_only opens without write access.
    static Index open(const std::filesystem::path& database, bool read_only = false);
    ~Index();
    Index(Index&&) noexcept;
    Index& operator=(Index&&) noexcept;

    // Inserts one upload row and, if given, all its members, in one transaction.
    // Returns the new row id.
    std::int64_t record(const UploadRecord& upload, const MemberSpool* members = nullptr);

    std::optional<UploadRecord> find_upload_id(std::string_view upload_id) const;
    std::optional<UploadRecord> find_accepted(std::string_view customer, std::string_view path) const;

private:
    struct Impl;
    explicit Index(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace dropgate::indexer
