#include "dropgate/contract/refusals.hpp"

#include <cerrno>
#include <cstring>

#include "dropgate/base/sizes.hpp"

namespace dropgate::contract {

RefusalKind kind_of(int error) {
    switch (error) {
        case EBADMSG:
            return RefusalKind::invalid;
        case EEXIST:
            return RefusalKind::name_taken;
        case EFBIG:
        case EDQUOT:
            return RefusalKind::limit;
        case EACCES:
        case EPERM:
            return RefusalKind::not_allowed;
        case ENOSPC:
            return RefusalKind::disk_full;
        default:
            return RefusalKind::other;
    }
}

std::string already_exists(std::string_view customer_path) {
    return std::string(customer_path) +
           " already exists; bundles are immutable — upload under a new name";
}

std::string bundle_too_large(std::uint64_t limit) {
    return "bundle exceeds max_bundle_size " + human_size(limit);
}

std::string quota_bundles(std::string_view customer, std::uint64_t limit, std::uint64_t accepted,
                          std::uint64_t uploading) {
    return "quota: " + std::string(customer) + " may keep at most max_bundles " +
           std::to_string(limit) + " bundles (" + std::to_string(accepted) + " accepted, " +
           std::to_string(uploading) + " uploading)";
}

std::string quota_bytes(std::string_view customer, std::uint64_t limit, std::uint64_t used) {
    return "quota: " + std::string(customer) + " may keep at most max_bytes " + human_size(limit) +
           " (" + human_size(used) + " accepted or uploading)";
}

std::string quota_partial_bytes(std::string_view customer, std::uint64_t limit,
                                std::uint64_t unfinished) {
    return "quota: " + std::string(customer) + " may hold at most max_partial_bytes " +
           human_size(limit) + " in unfinished uploads (" + human_size(unfinished) + ")";
}

std::string disk_full() {
    return "disk full";
}

std::string describe(int error) {
    switch (kind_of(error)) {
        case RefusalKind::invalid:
            return "invalid bundle content";
        case RefusalKind::name_taken:
            return "the name is taken; bundles are immutable — upload under a new name";
        case RefusalKind::limit:
            return "a size limit was exceeded";
        case RefusalKind::not_allowed:
            return "name or operation not allowed";
        case RefusalKind::disk_full:
            return disk_full();
        case RefusalKind::other:
            break;
    }
    if (error == ECANCELED) return "the upload ended without a verdict";
    return std::strerror(error);
}

}  // namespace dropgate::contract
