// The backing directories under store.root (contract/layout.hpp), opened once as directory fds.
#pragma once

#include <string>

#include "dropgate/base/unique_fd.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/contract/layout.hpp"

namespace dropgate::fs {

class Upload;
class Judge;

class Backing {
  public:
    // Write mode creates root, bundles/, .staging/ and bundles/<customer> for every customer.
    Backing(const config::Store& store, const std::vector<std::string>& customers, bool read_only);

    int bundles() const { return bundles_.get(); }
    int staging() const { return staging_.get(); }
    std::string bundle_path(const std::string& rel) const;
    const contract::Layout& layout() const { return layout_; }

    // A new, empty staging file for `id`, opened read-write. Throws on failure.
    UniqueFd create_staging(const std::string& id, const std::string& target);
    void remove_staging(const std::string& id);

    // Makes an accepted upload a bundle at bundles/<rel> (see the invariants in backing.cpp).
    // Returns 0, or an errno: EEXIST (name taken), ENOSPC/EIO (fsync or rename failed).
    int publish(Upload& upload, const std::string& rel);

    // Start-up repair after a crash: every staging file is an interrupted upload (row `aborted`,
    // file removed); every bundle without an index row is re-validated from disk and indexed.
    void recover(Judge& judge);

  private:
    int make_parents(const std::string& rel);

    contract::Layout layout_;
    UniqueFd bundles_;
    UniqueFd staging_;
};

}  // namespace dropgate::fs
