#include "dropgate/inside/seek_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <system_error>

namespace dropgate::inside {

std::optional<SeekIndex> load_seek_index(const std::filesystem::path& file) {
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    try {
        return SeekIndex::load(std::move(fd));
    } catch (const SeekIndexError&) {
        return std::nullopt;  // rebuilt by the caller
    }
}

void save_seek_index(const std::filesystem::path& file, const SeekIndex& index) {
    std::filesystem::create_directories(file.parent_path());
    const auto temp = file.string() + ".tmp" + std::to_string(::gettid());
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        const std::string bytes = index.serialize();
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out) throw std::system_error(errno, std::generic_category(), "write " + temp);
    }
    std::filesystem::rename(temp, file);
}

SeekIndex seek_index_for(const std::filesystem::path& file, int bundle_fd) {
    if (auto stored = load_seek_index(file)) return *stored;
    SeekIndex built = build_seek_index(bundle_fd);
    try {
        save_seek_index(file, built);
    } catch (const std::exception&) {
        // A read-only caller still reads; the store's indexer stores it.
    }
    return built;
}

}  // namespace dropgate::inside
