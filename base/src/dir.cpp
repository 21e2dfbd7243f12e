#include "dropgate/base/dir.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace dropgate {

Dir open_dir(int dir_fd) {
    int copy = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) return nullptr;
    Dir dir(::fdopendir(copy));
    if (!dir) {
        ::close(copy);
        return nullptr;
    }
    ::rewinddir(dir.get());  // a copied fd shares the offset: start at the beginning
    return dir;
}

}  // namespace dropgate
