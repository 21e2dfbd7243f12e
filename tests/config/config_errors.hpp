// What the config tests share: loading a config text and getting its error.
#pragma once

#include <string>

#include "dropgate/config/config.hpp"
#include "harness.hpp"

namespace dropgate::test {

// Loads `text` as dir/dropgate.toml and returns the error message ("" if it loads).
inline std::string error_of(const TempDir& dir, const std::string& text) {
    write_file(dir / "dropgate.toml", text);
    try {
        config::load(dir / "dropgate.toml");
    } catch (const config::ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace dropgate::test
