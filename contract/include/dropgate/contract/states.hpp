// The states of an upload (spec §6 `uploads.status`): one enum for the store, the index, the
// front ends and the CLI.
#pragma once

#include <optional>
#include <string_view>

namespace dropgate::contract {

enum class UploadState {
    uploading,  // data arriving, no verdict yet
    partial,    // interrupted without a verdict, kept for resume (store.resume_window)
    accepted,   // published under bundles/, immutable
    rejected,   // refused with a reason, nothing kept
    aborted,    // ended without a verdict and not kept
};

std::string_view to_string(UploadState state);
// "accepted", "partial", …; nullopt for anything else.
std::optional<UploadState> parse_state(std::string_view text);

}  // namespace dropgate::contract
