#include "dropgate/index/verdicts.hpp"

#include <cerrno>

#include "dropgate/index/index.hpp"

namespace dropgate::index {

std::optional<RecordedVerdict> find_verdict(const std::filesystem::path& database,
                                            std::string_view upload_id) {
    if (upload_id.empty()) return std::nullopt;
    try {
        std::error_code ec;
        if (!std::filesystem::exists(database, ec)) return std::nullopt;
        auto index = Index::open(database, /*read_only=*/true);
        auto row = index.find_upload_id(upload_id);
        if (!row) return std::nullopt;
        return RecordedVerdict{row->status, row->reason, row->customer, row->path};
    } catch (const IndexError&) {
        return std::nullopt;  // the caller falls back to what the errno says
    }
}

std::string refusal_reason(const std::filesystem::path& database, std::string_view upload_id,
                           int err) {
    if (auto verdict = find_verdict(database, upload_id); verdict && !verdict->reason.empty())
        return verdict->reason;
    return contract::describe(err);  // no row to read: the errno still says something true
}

std::optional<contract::Refusal> recorded_refusal(const std::filesystem::path& database,
                                                  std::string_view upload_id, int close_error) {
    auto verdict = find_verdict(database, upload_id);
    bool refused = verdict ? verdict->state == contract::UploadState::rejected ||
                                 verdict->state == contract::UploadState::aborted
                           : close_error != 0;
    if (!refused) return std::nullopt;
    int error = close_error != 0 ? close_error : ECANCELED;
    std::string reason =
        verdict && !verdict->reason.empty() ? verdict->reason : contract::describe(error);
    return contract::Refusal{error, reason};
}

}  // namespace dropgate::index
