// Why the store refused an upload: the reason from the index row of its upload id
// (spec §5), or the errno's text when the index has no row (or is not there at all).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "dropgate/contract/refusals.hpp"

namespace dropgate::gateway {

std::string refusal_reason(const std::filesystem::path& database, const std::string& upload_id,
                           int err);

// Whether an upload whose close(2) returned `close_error` ended refused, and why: its index row
// says `rejected` or `aborted` (a held upload discarded unrenamed), or, without a row, the
// close failed. The errno is the close's; an upload whose close succeeded and that was
// discarded later has none of its own and gets ECANCELED (ended without a verdict).
// nullopt: nothing says it was refused (accepted, still held, or no row after a good close).
std::optional<contract::Refusal> recorded_refusal(const std::filesystem::path& database,
                                                  const std::string& upload_id, int close_error);

}  // namespace dropgate::gateway
