// Giving an accepted bundle its seek index (spec §13): after acceptance in the store's
// background, at store start-up for bundles without one, and by `dropgate reindex`.
#pragma once

#include <cstdint>
#include <stop_token>
#include <string>

#include "dropgate/config/config.hpp"
#include "dropgate/index/index.hpp"
#include "dropgate/inside/seek_index.hpp"

namespace dropgate::inside {

struct IndexOutcome {
    enum class Kind { built, present, remote, failed } kind = Kind::failed;
    std::uint64_t points = 0;
    std::uint64_t index_bytes = 0;
    double seconds = 0;
    std::string error;  // for failed
};

// Builds and stores the bundle's seek index unless it has a readable one (or `force`). A bundle
// whose bytes are only in object storage is left alone (kind remote): it is indexed where it
// is read.
IndexOutcome index_bundle(const config::Config& config, const index::UploadRecord& bundle,
                          bool force = false, std::stop_token stop = {}, const Pace& pace = {});

}  // namespace dropgate::inside
