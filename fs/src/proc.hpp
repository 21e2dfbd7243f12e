// What the store can learn about a calling process from /proc (FUSE only tells us its pid).
#pragma once

#include <sys/types.h>

#include <string>

namespace dropgate::fs {

// The process (thread group) a thread belongs to; the pid itself if /proc does not say.
pid_t thread_group_of(pid_t pid);

// True if the thread is exiting because of a signal (killed mid-write): the kernel sets
// PF_EXITING before it closes the task's files, and the exit code (field 52 of
// /proc/<pid>/stat) then holds the signal number; a pending SIGKILL counts too.
bool exiting_on_signal(pid_t pid);

// True if the process exists and is not a zombie.
bool process_alive(pid_t pid);

// True if the process still has a descriptor open on `path` (absolute, on the mount). The
// kernel removes a descriptor from the table before it sends FLUSH for it, so a hit is another
// descriptor: `cat x > f` (the shell opens f, dups it to 1 and closes the original) and dd do
// this before their first write; that close is not the end of the upload.
bool holds_open(pid_t pid, const std::string& path);

}  // namespace dropgate::fs
