// The temporary-name uploads (`x.tgz.filepart`) this session closed, so that a RENAME which
// finds its source gone can say why: the store refused the upload at its close, or discarded it
// unrenamed (spec §4). Clients that upload under a temporary name and rename after closing
// (paramiko's put, WinSCP, FileZilla) ignore a failed CLOSE; the RENAME is where they look.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

namespace dropgate::gateway {

struct ClosedUpload {
    std::string path;       // normalised, as the client named it
    std::string upload_id;  // the id the gateway tagged it with
    int error = 0;          // what its close(2) returned: the store's verdict, 0 if held
};

// Bounded: a session remembers its last kCapacity such uploads. A path is at most PATH_MAX
// (a longer one is never created), so this stays under 100 KiB whatever a client does.
class ClosedUploads {
  public:
    static constexpr std::size_t kCapacity = 16;

    // Remembers `upload`, replacing an older one of the same path; forgets the oldest when full.
    void remember(ClosedUpload upload);
    // The most recent upload closed under `path`, or nullptr.
    const ClosedUpload* find(std::string_view path) const;
    // After a successful rename the name is free again.
    void forget(std::string_view path);
    std::size_t size() const { return recent_.size(); }

  private:
    std::deque<ClosedUpload> recent_;  // newest first
};

}  // namespace dropgate::gateway
