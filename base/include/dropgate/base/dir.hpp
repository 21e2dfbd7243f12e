// The RAII owner of a DIR* stream.
#pragma once

#include <dirent.h>

#include <memory>

namespace dropgate {

struct DirClose {
    void operator()(DIR* dir) const { ::closedir(dir); }
};
using Dir = std::unique_ptr<DIR, DirClose>;

// A directory stream over a copy of `dir_fd` (the caller keeps its fd), rewound to the start;
// null with errno set on failure.
Dir open_dir(int dir_fd);

}  // namespace dropgate
