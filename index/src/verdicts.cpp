#include "dropgate/index/verdicts.hpp"

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
        return RecordedVerdict{row->status, row->reason};
    } catch (const IndexError&) {
        return std::nullopt;  // the caller falls back to what the errno says
    }
}

}  // namespace dropgate::index
