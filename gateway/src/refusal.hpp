// Why the store refused an upload: the reason from the index row of its upload id
// (spec §5), or the errno's text when the index has no row (or is not there at all).
#pragma once

#include <filesystem>
#include <string>

namespace dropgate::gateway {

std::string refusal_reason(const std::filesystem::path& database, const std::string& upload_id,
                           int err);

}  // namespace dropgate::gateway
