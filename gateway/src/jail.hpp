// A user's view of the store: a directory fd that is their `/`. Client paths are normalised
// lexically ("." and ".." never climb above `/`), then resolved with openat2(RESOLVE_IN_ROOT),
// so a symlink — absolute or full of ".." — can never lead outside the root either.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>
#include <string_view>

#include "dropgate/base/unique_fd.hpp"

namespace dropgate::gateway {

class Jail {
  public:
    // `hidden`: names this user must not see anywhere below the root (a customer: the bundle
    // views, which are the support role's); paths through one do not exist.
    using Hidden = std::function<bool(std::string_view name)>;
    explicit Jail(UniqueFd root, Hidden hidden = {})
        : root_(std::move(root)), hidden_(std::move(hidden)) {}
    bool hides(std::string_view name) const { return hidden_ && hidden_(name); }

    // "/a/./b/../c", "a//c", "../../c" -> "/a/c", "/a/c", "/c". Always absolute.
    static std::string normalize(std::string_view client_path);

    // Opens a normalised path (flags as for open(2); O_NOFOLLOW applies to the last component).
    // Throws std::system_error with the errno.
    UniqueFd open(const std::string& path, int flags, mode_t mode = 0) const;

    // The same without throwing, for outcomes that are routine rather than errors (a client
    // stats a name before uploading it: ENOENT is the normal answer there).
    struct Opened {
        UniqueFd fd;
        int error = 0;  // errno when !fd
    };
    Opened try_open(const std::string& path, int flags, mode_t mode = 0) const;

    // The parent directory (O_PATH) and last component of a normalised path, for *at() calls
    // that must not follow the last component. The root itself has leaf ".".
    struct Parent {
        UniqueFd dir;
        std::string leaf;
    };
    Parent parent(const std::string& path) const;

    int root_fd() const { return root_.get(); }

  private:
    bool through_hidden(const std::string& path) const;
    UniqueFd root_;
    Hidden hidden_;
};

}  // namespace dropgate::gateway
