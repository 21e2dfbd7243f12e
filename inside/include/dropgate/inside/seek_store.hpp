// Seek index files (contract::Layout::seek_index): derived data, rebuilt whenever missing or
// unreadable, so they are written atomically (temp + rename) but never fsynced.
#pragma once

#include <filesystem>
#include <optional>

#include "dropgate/inside/seek_index.hpp"

namespace dropgate::inside {

// The index stored in `file`, or nullopt if there is none or it does not parse.
std::optional<SeekIndex> load_seek_index(const std::filesystem::path& file);
void save_seek_index(const std::filesystem::path& file, const SeekIndex& index);
// The stored index, or one built from `bundle_fd` now (and stored, best effort).
SeekIndex seek_index_for(const std::filesystem::path& file, int bundle_fd);

}  // namespace dropgate::inside
