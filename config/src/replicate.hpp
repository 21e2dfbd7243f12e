// Readers of the [replicate] and [retention] sections (replicate.cpp).
#pragma once

#include <optional>

#include "reader.hpp"

namespace dropgate::config::detail {

std::optional<Replicate> read_replicate(const toml::table* table, const std::string& file,
                                        const std::filesystem::path& base);
// `replicating`: [replicate] is configured (retention without it is an error).
Retention read_retention(const toml::table* table, const std::string& file, bool replicating);

}  // namespace dropgate::config::detail
