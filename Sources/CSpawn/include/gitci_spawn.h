#ifndef GITCI_SPAWN_H
#define GITCI_SPAWN_H

#include <sys/types.h>

/// Starts `argv[0]` (an absolute path) in `cwd` as the leader of a new process group, with
/// standard input from /dev/null, standard output and error on `output_fd`, every signal at
/// its default disposition and none blocked.
///
/// Returns 0 and stores the pid, or an errno value. The C side exists because glibc declares
/// posix_spawn_file_actions_addchdir_np only under _GNU_SOURCE, which Swift's Glibc lacks.
int gitci_spawn(pid_t *pid, const char *const argv[], const char *const envp[],
                const char *cwd, int output_fd);

/// gitci_spawn, with the descriptors `passed[0..<passed_count]` (at most 8) open in the child
/// as 3, 4, …: how a sandboxed job's first process gets its request and report pipes.
int gitci_spawn_passing(pid_t *pid, const char *const argv[], const char *const envp[],
                        const char *cwd, int output_fd, const int *passed, int passed_count);

/// Starts `argv[0]` (an absolute path) as the leader of a new process group with standard
/// input, output and error on `input_fd`, `output_fd` and `error_fd`, nothing else of the
/// caller's open, every signal at its default disposition and none blocked.
int gitci_spawn_io(pid_t *pid, const char *const argv[], const char *const envp[],
                   int input_fd, int output_fd, int error_fd);

/// Blocks until `pid` has exited, without reaping it: the zombie keeps its process group id
/// reserved, so the rest of the group can still be signalled without hitting a reused id.
/// On return 0, `*code` is the exit status, or the signal number when `*signaled` is 1.
/// Otherwise returns an errno value.
int gitci_wait_exit_keep_zombie(pid_t pid, int *code, int *signaled);

/// A descriptor (close-on-exec) that becomes readable when the child `pid` exits: a pidfd.
/// -1 with errno where the kernel has none (before Linux 5.3).
int gitci_exit_descriptor(pid_t pid);

/// Like gitci_wait_exit_keep_zombie, without blocking: 1 when `pid` has exited (with `*code`
/// and `*signaled` as there), 0 when it still runs, -1 with errno on failure.
int gitci_exit_status_now(pid_t pid, int *code, int *signaled);

/// Starts `argv[0]` fully detached: in a session of its own (no controlling terminal, not in
/// the caller's process group), standard input from /dev/null and standard output and error
/// appended to `log_path` (or /dev/null when it cannot be opened). Nothing of the caller's
/// stays open in it, so a git push that ran the caller never waits for it. `inherited_fd`, when
/// not -1, becomes the child's descriptor 3 (how a worker is handed its lock). SIGUSR1 is
/// left ignored in the child (the caller must ignore it while it spawns): a worker is nudged
/// with it, and must not die of a nudge before it is ready to take one.
int gitci_spawn_detached(pid_t *pid, const char *const argv[], const char *const envp[],
                         const char *log_path, int inherited_fd);

/// Reaps `pid` and returns its wait status, or -1 with errno set.
int gitci_reap(pid_t pid);

/// How many processors this process may run on (its affinity mask), or 0 when unknown.
/// sched_getaffinity and CPU_COUNT are GNU extensions as well.
int gitci_allowed_processors(void);

/// pipe2(ends, O_CLOEXEC) (a GNU extension): 0, or an errno value.
int gitci_pipe(int ends[2]);

#endif
