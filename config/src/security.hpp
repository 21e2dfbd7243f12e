// Reader of the [security] section (security.cpp).
#pragma once

#include "reader.hpp"

namespace dropgate::config::detail {

Security read_security(TableReader& reader);

}  // namespace dropgate::config::detail
