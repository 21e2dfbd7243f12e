#include "quotas.hpp"

#include "dropgate/contract/refusals.hpp"

namespace dropgate::fs {

Quotas::Quotas(const config::Config& config) : config_(config) {}

index::Usage& Quotas::kept(const std::string& customer) {
    auto found = kept_.find(customer);
    if (found != kept_.end()) return found->second;
    if (!index_) index_.emplace(index::Index::open(config_.index.database, /*read_only=*/true));
    return kept_.emplace(customer, index_->usage(customer)).first->second;
}

std::optional<std::string> Quotas::refusal(const std::string& customer, const config::Quota& quota,
                                           std::uint64_t size, std::uint64_t end,
                                           const index::Usage& others) {
    std::lock_guard lock(mutex_);
    const index::Usage& stored = kept(customer);
    // A new upload counts as a bundle from its first byte.
    if (quota.max_bundles && size == 0 && stored.bundles + others.bundles >= *quota.max_bundles)
        return contract::quota_bundles(customer, *quota.max_bundles, stored.bundles,
                                       others.bundles);
    const std::uint64_t used = stored.bytes + others.bytes;
    if (quota.max_bytes && used + end > *quota.max_bytes)
        return contract::quota_bytes(customer, *quota.max_bytes, used);
    return std::nullopt;
}

void Quotas::published(const std::string& customer) {
    // Counted again from the index (its row is committed by now) at the next check: adding it
    // here would count it twice if another upload loaded the figures between the commit and now.
    std::lock_guard lock(mutex_);
    kept_.erase(customer);
}

}  // namespace dropgate::fs
