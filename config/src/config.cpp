#include "dropgate/config/config.hpp"

namespace dropgate::config {
Config load(const std::filesystem::path& file) {
    throw ConfigError(file.string() + ": loading is not implemented yet");
}
}  // namespace dropgate::config
