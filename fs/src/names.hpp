// Which names the store accepts, and the identifiers it hands out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dropgate/config/config.hpp"

namespace dropgate::fs {

enum class NameKind {
    bundle,     // matches store.accept: judged at close and published under this name
    temporary,  // ends in a store.temp_suffixes entry: judged at close, held until renamed
    refused,    // anything else: the store does not take it (EACCES at create)
};

NameKind classify_name(std::string_view name, const config::Store& store);

// One path component a customer may create: not empty, not "." or "..", no '/', no NUL,
// no leading '.', at most 255 bytes.
bool is_valid_component(std::string_view name);

// The last component of a '/'-separated path.
std::string base_name_of(const std::string& path);

// A fresh upload id: 128 random bits as 32 lowercase hex digits.
std::string new_upload_id();

// "2026-11-23T10:00:00Z" for a time in seconds since the epoch.
std::string utc_timestamp(std::int64_t seconds);

}  // namespace dropgate::fs
