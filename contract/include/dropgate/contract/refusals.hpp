// Refusals: the errno the store answers (close(2), or the next write when the verdict is known
// early) and the reason a person reads (spec §4). Each message is written here once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dropgate::contract {

// A verdict against an upload: the errno and the reason recorded in its index row.
struct Refusal {
    int error = 0;  // EBADMSG invalid content, EFBIG a limit, EDQUOT a quota, EEXIST name
                    // taken, EACCES not allowed, ENOSPC disk full (ECANCELED: aborted)
    std::string reason;
};

// What kind of refusal an errno stands for; the front ends map it to their own status codes
// (SFTP status, HTTP 422/409/413/403/507).
enum class RefusalKind { invalid, name_taken, limit, not_allowed, disk_full, other };
RefusalKind kind_of(int error);

// "acme/logs.tgz already exists; bundles are immutable — upload under a new name"
std::string already_exists(std::string_view customer_path);
// "bundle exceeds max_bundle_size 64 GiB"
std::string bundle_too_large(std::uint64_t limit);
// "quota: acme may keep at most max_bundles 100 bundles (98 accepted, 2 uploading)"
std::string quota_bundles(std::string_view customer, std::uint64_t limit, std::uint64_t accepted,
                          std::uint64_t uploading);
// "quota: acme may keep at most max_bytes 10 GiB (9.5 GiB accepted or uploading)"
std::string quota_bytes(std::string_view customer, std::uint64_t limit, std::uint64_t used);
// "quota: acme may hold at most max_partial_bytes 1 GiB in unfinished uploads (1.2 GiB)"
std::string quota_partial_bytes(std::string_view customer, std::uint64_t limit,
                                std::uint64_t unfinished);
// "disk full"
std::string disk_full();
// What an errno means as a refusal, for when no recorded reason can be read.
std::string describe(int error);

}  // namespace dropgate::contract
