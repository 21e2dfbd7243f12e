#include "refusal.hpp"

#include <cstring>

#if DROPGATE_HAVE_INDEX
#include "dropgate/indexer/index.hpp"
#endif

namespace dropgate::gateway {

std::string refusal_reason([[maybe_unused]] const std::filesystem::path& database,
                           [[maybe_unused]] const std::string& upload_id, int err) {
#if DROPGATE_HAVE_INDEX
    // The store commits the row before close() returns, so it is there when we look.
    try {
        std::error_code ec;
        if (!upload_id.empty() && std::filesystem::exists(database, ec)) {
            auto index = indexer::Index::open(database, /*read_only=*/true);
            if (auto row = index.find_upload_id(upload_id); row && !row->reason.empty())
                return row->reason;
        }
    } catch (const std::exception&) {
        // Fall through: the errno still says something true.
    }
#endif
    switch (err) {
        case EEXIST:
            return "the name is taken; bundles are immutable — upload under a new name";
        case EBADMSG:
            return "invalid bundle content";
        case EFBIG:
            return "a size limit was exceeded";
        case EACCES:
            return "name or operation not allowed";
        case ENOSPC:
            return "no space left on the store";
        default:
            return std::strerror(err);
    }
}

}  // namespace dropgate::gateway
