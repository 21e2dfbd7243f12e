#include "refusal.hpp"

#include <cerrno>

#include "dropgate/index/verdicts.hpp"

namespace dropgate::gateway {

std::string refusal_reason(const std::filesystem::path& database, const std::string& upload_id,
                           int err) {
    if (auto verdict = index::find_verdict(database, upload_id);
        verdict && !verdict->reason.empty())
        return verdict->reason;
    return contract::describe(err);  // no row to read: the errno still says something true
}

std::optional<contract::Refusal> recorded_refusal(const std::filesystem::path& database,
                                                  const std::string& upload_id, int close_error) {
    auto verdict = index::find_verdict(database, upload_id);
    bool refused = verdict ? verdict->state == contract::UploadState::rejected ||
                                 verdict->state == contract::UploadState::aborted
                           : close_error != 0;
    if (!refused) return std::nullopt;
    int error = close_error != 0 ? close_error : ECANCELED;
    std::string reason =
        verdict && !verdict->reason.empty() ? verdict->reason : contract::describe(error);
    return contract::Refusal{error, reason};
}

}  // namespace dropgate::gateway
