// The one place where the store meets the validator and the index: a content check per upload
// (streaming validator + member spool) and the index rows. Everything in fs/ that judges or records
// goes through here, so the validator and the index plug in at a single seam.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dropgate/config/config.hpp"
#include "dropgate/index/index.hpp"
#include "dropgate/validator/validator.hpp"

namespace dropgate::fs {

// The validator of one upload and the members it reports, spooled next to the staging file.
struct ContentCheck {
    ContentCheck(const validator::Limits& limits, const std::filesystem::path& spool_dir)
        : spool(spool_dir), validator(limits, &spool) {}
    index::MemberSpool spool;
    validator::StreamValidator validator;
};

class Judge {
  public:
    // Opens (creating) the index unless read_only, in which case no rows are ever written.
    Judge(const config::Config& config, bool read_only);

    const validator::Limits& limits() const { return limits_; }
    std::unique_ptr<ContentCheck> start_check() const;

    // Commits one row (and its members); `continues`: the partial row it updates (see
    // index::Index::record). Thread-safe; throws on database errors.
    void record(const index::UploadRecord& row, const index::MemberSpool* members = nullptr,
                const std::string& continues = {});
    std::optional<index::UploadRecord> find_accepted(const std::string& customer,
                                                     const std::string& path);
    std::optional<index::UploadRecord> find_upload(const std::string& upload_id);
    std::vector<index::UploadRecord> partial_rows();

  private:
    validator::Limits limits_;
    std::filesystem::path spool_dir_;
    std::mutex index_mutex_;
    std::optional<index::Index> index_;
};

}  // namespace dropgate::fs
