#include "refusal.hpp"

#include "dropgate/contract/refusals.hpp"
#include "dropgate/index/verdicts.hpp"

namespace dropgate::gateway {

std::string refusal_reason(const std::filesystem::path& database, const std::string& upload_id,
                           int err) {
    if (auto verdict = index::find_verdict(database, upload_id);
        verdict && !verdict->reason.empty())
        return verdict->reason;
    return contract::describe(err);  // no row to read: the errno still says something true
}

}  // namespace dropgate::gateway
