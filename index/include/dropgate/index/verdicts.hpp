// The small read API a front end (the gateway, the HTTP front end) needs: what the store
// recorded for one upload id. It opens the database read-only for the one lookup, so a front
// end never holds a connection or writes.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "dropgate/contract/states.hpp"

namespace dropgate::index {

struct RecordedVerdict {
    contract::UploadState state = contract::UploadState::aborted;
    std::string reason;  // empty for an accepted upload
};

// The row the store committed for `upload_id`, or nothing (no such row, no database, or it
// cannot be read). The store commits the row before it answers the write or close that
// reported the verdict, so a writer that just saw the errno finds the row.
std::optional<RecordedVerdict> find_verdict(const std::filesystem::path& database,
                                            std::string_view upload_id);

}  // namespace dropgate::index
