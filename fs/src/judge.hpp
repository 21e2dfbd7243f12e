// The one place where the store meets the indexer: a content check per upload (streaming
// validator + member spool) and the index rows. Everything in fs/ that judges or records goes
// through here, so the validator and the index plug in at a single seam.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "dropgate/config/config.hpp"
#include "dropgate/indexer/index.hpp"
#include "dropgate/indexer/validator.hpp"

namespace dropgate::fs {

// The validator of one upload and the members it reports, spooled next to the staging file.
struct ContentCheck {
    ContentCheck(const indexer::Limits& limits, const std::filesystem::path& spool_dir)
        : spool(spool_dir), validator(limits, &spool) {}
    indexer::MemberSpool spool;
    indexer::StreamValidator validator;
};

class Judge {
  public:
    // Opens (creating) the index unless read_only, in which case no rows are ever written.
    Judge(const config::Config& config, bool read_only);

    const indexer::Limits& limits() const { return limits_; }
    std::unique_ptr<ContentCheck> start_check() const;

    // Commits one row (and its members). Thread-safe; throws on database errors.
    void record(const indexer::UploadRecord& row, const indexer::MemberSpool* members = nullptr);
    std::optional<indexer::UploadRecord> find_accepted(const std::string& customer,
                                                       const std::string& path);

  private:
    indexer::Limits limits_;
    std::filesystem::path spool_dir_;
    std::mutex index_mutex_;
    std::optional<indexer::Index> index_;
};

}  // namespace dropgate::fs
