// Large socket reads under libssh. libssh 0.10 reads its socket 4 KiB per poll (MAX_BUF_SIZE in
// socket.c), so a 1 GiB upload cost 262,144 poll + recv pairs; on this host a syscall costs
// microseconds, and those pairs were the largest part of the gateway's CPU (perf). dropgate
// defines `recv` and `poll` itself (the executable's definitions come first in symbol lookup,
// as a malloc replacement does): for the one socket a session worker has registered, recv
// reads up to 128 KiB ahead and serves libssh's 4 KiB reads from that, and poll reports that
// socket readable while read-ahead data is left.
//
// The definitions are in every process of the binary — the FUSE store, the supervisor, the
// gateway parent — but only a session worker ever calls enable(). Until then, and after
// disable(), both are a plain call of libc's own recv and poll (looked up with
// dlsym(RTLD_NEXT)), so those processes run exactly libc's code; in an enabled worker, every
// descriptor but the registered socket, and every recv with flags, is forwarded the same way.
#pragma once

namespace dropgate::gateway::readahead {

// Reads ahead on `fd` from now on (one socket per process; a new call replaces the old one).
void enable(int fd);
// Stops and drops anything read ahead (the session is over).
void disable();
// Whether a socket is registered in this process.
bool enabled();

}  // namespace dropgate::gateway::readahead
