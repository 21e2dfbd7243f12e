// Customer quotas (spec §14, config [quota] and [[user]] max_bytes / max_bundles): what a
// customer keeps — accepted bundles not deleted for good, plus every upload of theirs the store
// holds (being written, held under a temporary name, partial) — may not pass its limits. Checked
// at each write that grows an upload, so an upload is refused with EDQUOT at the first byte
// past the quota, not at its close.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "dropgate/config/config.hpp"
#include "dropgate/index/index.hpp"

namespace dropgate::fs {

class Quotas {
  public:
    explicit Quotas(const config::Config& config);

    // The reason an upload of `customer` (whose limits are `quota`) may not grow from `size` to
    // `end` bytes while their other uploads in the store hold `others`, or nullopt. Throws on
    // index errors.
    std::optional<std::string> refusal(const std::string& customer, const config::Quota& quota,
                                       std::uint64_t size, std::uint64_t end,
                                       const index::Usage& others);
    // A bundle of `customer` was accepted and its row committed: it counts as kept from now on.
    void published(const std::string& customer);

  private:
    index::Usage& kept(const std::string& customer);  // mutex_ held

    const config::Config& config_;
    std::mutex mutex_;
    std::optional<index::Index> index_;  // its own read-only connection, opened on first use
    std::unordered_map<std::string, index::Usage> kept_;  // accepted, from the index, until
                                                          // the customer's next accepted bundle
};

}  // namespace dropgate::fs
