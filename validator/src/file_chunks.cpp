#include "file_chunks.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <vector>

#include "dropgate/base/unique_fd.hpp"

namespace dropgate::validator::detail {

void read_chunks(const std::filesystem::path& file,
                 const std::function<void(std::span<const std::uint8_t>)>& consume) {
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw std::system_error(errno, std::generic_category(), file.string());
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    std::vector<std::uint8_t> buffer(1 << 20);
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::system_error(errno, std::generic_category(), file.string());
        if (n == 0) return;
        consume({buffer.data(), static_cast<std::size_t>(n)});
    }
}

}  // namespace dropgate::validator::detail
