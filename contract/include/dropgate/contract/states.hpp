// The states of an upload (spec §6 `uploads.status`): one enum for the store, the index, the
// front ends and the CLI.
#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dropgate::contract {

enum class UploadState {
    uploading,  // data arriving, no verdict yet
    partial,    // interrupted without a verdict, kept for resume (store.resume_window)
    accepted,   // published under bundles/, immutable
    rejected,   // refused with a reason, nothing kept
    aborted,    // ended without a verdict and not kept
};

std::string_view to_string(UploadState state);
// Every state's name, in the order of the enum ("uploading", "partial", …).
std::vector<std::string> state_names();

// How a partial upload shows through the store mount, to its owner only: a regular file that is
// writable (to resume it) and not readable, `-w-------`.
inline constexpr mode_t kPartialMode = 0200;
inline bool shows_partial(mode_t mode) {
    return S_ISREG(mode) && (mode & 07777) == kPartialMode;
}
// "accepted", "partial", …; nullopt for anything else.
std::optional<UploadState> parse_state(std::string_view text);

}  // namespace dropgate::contract
