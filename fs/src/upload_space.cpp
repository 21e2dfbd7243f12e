// StoreFs: the free-space check of a growing upload (contract/space.hpp). A write that would
// leave less than the reserve on the backing filesystem is refused like one the filesystem
// itself refused with ENOSPC, before the filesystem is full: the refusal's row still fits.
#include <cerrno>

#include "dropgate/base/log.hpp"
#include "dropgate/base/sizes.hpp"
#include "dropgate/contract/refusals.hpp"
#include "dropgate/contract/space.hpp"
#include "store_fs.hpp"

namespace dropgate::fs {

bool StoreFs::short_of_space(Upload& upload, std::uint64_t end) {
    const auto available = contract::free_space(upload.fd());
    if (!available) return false;  // cannot tell: the write itself will say
    const std::uint64_t growth = end - upload.size();
    if (*available >= contract::kSpaceReserve + growth) return false;
    log::warn("disk_full", {{"customer", upload.customer},
                            {"path", upload.path},
                            {"available", human_size(*available)},
                            {"reserve", human_size(contract::kSpaceReserve)}});
    upload.write_error = ENOSPC;
    upload.write_reason = contract::disk_full();
    return true;
}

}  // namespace dropgate::fs
