// The backing directories under store.root (contract/layout.hpp), opened once as directory fds.
#pragma once

#include <string>
#include <vector>

#include "dropgate/base/unique_fd.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/contract/layout.hpp"

namespace dropgate::fs {

class Upload;
class Judge;

// What start-up finds in .staging/: one file, with the facts its xattrs keep.
struct StagedFile {
    std::string id;              // the staging file's name (the store's upload id)
    std::string customer, path;  // from its target xattr; empty if it has none
    std::string upload_id;       // the writer's tag, or the id
    std::string remote;
    UniqueFd fd;                // read-write; empty if it could not be opened
    std::uint64_t size = 0;     // bytes in the file
    std::uint64_t durable = 0;  // bytes known durable (fdatasync'ed): what a restart keeps
};

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

    // Retention (retention.cpp): the bundle at `rel` becomes a stub of the same size, mode and
    // mtime whose bytes live in object storage (contract::kStubMode), atomically (rename over
    // it). 0 if it is one already; else an errno.
    int replace_with_stub(const std::string& rel);
    // delete_after: the bundle (or its stub) is removed. 0 (also when already gone) or an errno.
    int remove_bundle(const std::string& rel);

    // Start-up: the files left in staging (what to do with them is StoreFs::recover's choice),
    // and the repair of bundles without an index row (re-validated from disk, then indexed).
    std::vector<StagedFile> staged_files();
    void recover_bundles(Judge& judge);

  private:
    int make_parents(const std::string& rel);

    contract::Layout layout_;
    UniqueFd bundles_;
    UniqueFd staging_;
    UniqueFd remote_cache_;  // write mode: where a stub is made before it replaces a bundle
};

}  // namespace dropgate::fs
