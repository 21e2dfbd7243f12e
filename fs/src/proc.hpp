// What the store can learn about a calling process from /proc (FUSE only tells us its pid).
#pragma once

#include <sys/types.h>

namespace dropgate::fs {

// The process (thread group) a thread belongs to; the pid itself if /proc does not say.
pid_t thread_group_of(pid_t pid);

// True if the thread is exiting because of a signal (killed mid-write): the kernel sets
// PF_EXITING before it closes the task's files, and the exit code (field 52 of
// /proc/<pid>/stat) then holds the signal number; a pending SIGKILL counts too.
bool exiting_on_signal(pid_t pid);

// True if the process exists and is not a zombie.
bool process_alive(pid_t pid);

}  // namespace dropgate::fs
