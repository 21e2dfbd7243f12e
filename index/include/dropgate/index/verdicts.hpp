// The small read API a front end (the gateway, the HTTP front end) needs: what the store
// recorded for one upload id. It opens the database read-only for the one lookup, so a front
// end never holds a connection or writes.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "dropgate/contract/refusals.hpp"
#include "dropgate/contract/states.hpp"

namespace dropgate::index {

struct RecordedVerdict {
    contract::UploadState state = contract::UploadState::aborted;
    std::string reason;  // empty for an accepted upload
    std::string customer;
    std::string path;
};

// The row the store committed for `upload_id`, or nothing (no such row, no database, or it
// cannot be read). The store commits the row before it answers the write or close that
// reported the verdict, so a writer that just saw the errno finds the row.
std::optional<RecordedVerdict> find_verdict(const std::filesystem::path& database,
                                            std::string_view upload_id);

// Why the store refused an upload: the reason from the index row of its upload id (spec §5),
// or the errno's text when the index has no row (or is not there at all).
std::string refusal_reason(const std::filesystem::path& database, std::string_view upload_id,
                           int err);

// Whether an upload whose close(2) returned `close_error` ended refused, and why: its index row
// says `rejected` or `aborted` (a held upload discarded unrenamed), or, without a row, the
// close failed. The errno is the close's; an upload whose close succeeded and that was
// discarded later has none of its own and gets ECANCELED (ended without a verdict).
// nullopt: nothing says it was refused (accepted, still held, or no row after a good close).
std::optional<contract::Refusal> recorded_refusal(const std::filesystem::path& database,
                                                  std::string_view upload_id, int close_error);

}  // namespace dropgate::index
