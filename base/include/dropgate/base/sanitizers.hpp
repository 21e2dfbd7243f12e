// Whether this build runs under AddressSanitizer (scripts/test's sanitize stage, scripts/fuzz).
// The few places that must behave differently there ask this, and nothing else: ASan reserves
// terabytes of address space for its shadow (no RLIMIT_AS fits it), and its allocator's
// quarantine and redzones inflate every RSS figure.
#pragma once

namespace dropgate {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

}  // namespace dropgate
