// The user.dropgate.* extended attributes: the tags a writer sets on its upload before close,
// and the facts a published bundle shows (spec §4, §5).
#pragma once

namespace dropgate::contract::xattr {

inline constexpr const char* kPrefix = "user.dropgate.";

// Set by a writer (the gateway, the HTTP front end) on its open upload.
inline constexpr const char* kUploadId = "user.dropgate.upload_id";
inline constexpr const char* kRemote = "user.dropgate.remote";
inline constexpr const char* kClientVersion = "user.dropgate.client_version";
// The writer knows its client vanished without a proper close: the store records `aborted`.
inline constexpr const char* kAborted = "user.dropgate.aborted";
// The upload's whole size, announced before its bytes by a writer that knows it (HTTP
// Content-Length, tus Upload-Length): the store refuses at once an upload that could not fit
// max_bundle_size, its customer's quota or the disk, instead of at the byte that passes it.
inline constexpr const char* kExpectedSize = "user.dropgate.expected_size";

// Shown by a published bundle (from its index row).
inline constexpr const char* kSha256 = "user.dropgate.sha256";
inline constexpr const char* kUploadedAt = "user.dropgate.uploaded_at";
inline constexpr const char* kUploader = "user.dropgate.uploader";
inline constexpr const char* kMembers = "user.dropgate.members";

// On a member in a bundle's view: how many archive members have its path, when more than one
// (the view shows what the last one left, as extraction would).
inline constexpr const char* kOccurrences = "user.dropgate.occurrences";

// An upload's state as its owner sees it ("partial" for an interrupted, resumable upload).
inline constexpr const char* kState = "user.dropgate.state";

// On staging files only: "customer/path", so a restart can name what it finds there, and the
// bytes known durable (fdatasync'ed), which is what a restart keeps of an interrupted upload.
inline constexpr const char* kTarget = "user.dropgate.target";
inline constexpr const char* kDurable = "user.dropgate.durable";

}  // namespace dropgate::contract::xattr
