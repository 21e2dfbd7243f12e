#include "dropgate/config/config.hpp"

namespace dropgate::config {
std::string render(const Config&) { return {}; }
}  // namespace dropgate::config
