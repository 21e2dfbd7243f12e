#include "judge.hpp"

#include "dropgate/contract/layout.hpp"

namespace dropgate::fs {

Judge::Judge(const config::Config& config, bool read_only)
    : limits_(validator::Limits::from(config.store)),
      spool_dir_(contract::Layout(config.store.root).staging()) {
    if (!read_only) index_.emplace(index::Index::open(config.index.database));
}

std::unique_ptr<ContentCheck> Judge::start_check() const {
    return std::make_unique<ContentCheck>(limits_, spool_dir_);
}

void Judge::record(const index::UploadRecord& row, const index::MemberSpool* members,
                   const std::string& continues) {
    std::lock_guard lock(index_mutex_);
    if (index_) index_->record(row, members, continues);
}

std::optional<index::UploadRecord> Judge::find_accepted(const std::string& customer,
                                                        const std::string& path) {
    std::lock_guard lock(index_mutex_);
    if (!index_) return std::nullopt;
    return index_->find_accepted(customer, path);
}

std::optional<index::UploadRecord> Judge::find_upload(const std::string& upload_id) {
    std::lock_guard lock(index_mutex_);
    if (!index_) return std::nullopt;
    return index_->find_upload_id(upload_id);
}

std::vector<index::UploadRecord> Judge::partial_rows() {
    std::lock_guard lock(index_mutex_);
    if (!index_) return {};
    index::UploadFilter partial;
    partial.status = index::UploadState::partial;
    return index_->uploads(partial);
}

}  // namespace dropgate::fs
