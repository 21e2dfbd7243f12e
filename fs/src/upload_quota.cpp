// StoreFs: the quota check of a growing upload (quotas.hpp): the customer's other uploads in the
// store are counted from the live table, their bytes read without their locks (an atomic size).
#include "dropgate/base/log.hpp"
#include "dropgate/contract/refusals.hpp"
#include "store_fs.hpp"

namespace dropgate::fs {

bool StoreFs::over_quota(Upload& upload, std::uint64_t end) {
    const config::Quota quota = config_.quota_of(upload.customer);
    if (!quota.limits()) return false;
    index::Usage others;
    {
        std::lock_guard lock(table_mutex_);
        for (const auto& [live, inode] : live_) {
            if (live == &upload || live->customer != upload.customer) continue;
            others.bundles += 1;
            others.bytes += live->size();
        }
    }
    std::optional<std::string> reason;
    if (quota.max_partial_bytes && others.bytes + end > *quota.max_partial_bytes) {
        reason = contract::quota_partial_bytes(upload.customer, *quota.max_partial_bytes,
                                               others.bytes + end);
    } else {
        try {
            reason = quotas_.refusal(upload.customer, quota, upload.size(), end, others);
        } catch (const std::exception& e) {
            // The index cannot say what is kept: let the upload go on rather than refuse it
            // blind.
            log::error("quota_check_failed", {{"customer", upload.customer}, {"error", e.what()}});
            return false;
        }
    }
    if (!reason) return false;
    upload.write_error = EDQUOT;
    upload.write_reason = *reason;
    return true;
}

}  // namespace dropgate::fs
