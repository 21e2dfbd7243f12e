// How member paths are normalised and when they escape the archive.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dropgate::validator::detail {

// "./a//b/" -> "a/b"; "./" -> "." (the archive's top directory). nullopt if the path is absolute
// or has a ".." component anywhere: GNU tar refuses to extract such members, and a path that
// only seems harmless ("a/../b") is not worth the risk in a bundle support engineers unpack.
std::optional<std::string> normalise_member_path(std::string_view path);

// The path with control characters replaced by '?', so a reason stays one printable line.
std::string printable(std::string_view path);

}  // namespace dropgate::validator::detail
