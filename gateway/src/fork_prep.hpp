// Work the gateway parent does once so that every forked session inherits it instead of
// repeating it. A session is a fork, so anything lazily initialised on first use (symbol
// bindings, OpenSSL's random generator and algorithm caches, the C++ unwinder) would otherwise
// be initialised again in every session, and on this kind of host each first touch is also a
// copy-on-write page fault. Measured on a 2-core VM: a 250 KiB upload session cost 26 ms of
// CPU before, most of it such first-use work.
#pragma once

namespace dropgate::gateway {

// Re-executes the current process with LD_BIND_NOW=1 unless it is set: the libraries built
// without `-z now` (libstdc++, libseccomp, …) then bind every symbol at start-up, once, instead
// of in each session on first call. Call before anything that must survive an exec is set up.
void bind_symbols_now();

// Makes OpenSSL take its random bytes from the kernel (getrandom), and initialises, in this
// process, what libssh's key exchange, the SFTP loop and its error paths use on first call:
// digest/cipher/MAC/KDF/key-management fetches, X25519, the exception machinery.
void warm_up_for_sessions();

}  // namespace dropgate::gateway
