#define _GNU_SOURCE
#include "gitci_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* A new process group's leader, every signal at its default disposition and none blocked. */
static int set_leader_attributes(posix_spawnattr_t *attr) {
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    int rc = posix_spawnattr_setpgroup(attr, 0);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(attr, &all);
    if (rc == 0) rc = posix_spawnattr_setsigmask(attr, &none);
    if (rc == 0) rc = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    return rc;
}

int gitci_spawn(pid_t *pid, const char *const argv[], const char *const envp[],
                const char *cwd, int output_fd) {
    return gitci_spawn_passing(pid, argv, envp, cwd, output_fd, NULL, 0);
}

int gitci_spawn_passing(pid_t *pid, const char *const argv[], const char *const envp[],
                        const char *cwd, int output_fd, const int *passed, int passed_count) {
    if (passed_count < 0 || passed_count > 8) return EINVAL;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    rc = posix_spawnattr_init(&attr);
    if (rc != 0) { posix_spawn_file_actions_destroy(&actions); return rc; }

    /* Each passed descriptor from a copy above the ones it goes to: a dup2 onto itself would
       keep its close-on-exec, and one passed descriptor may sit where another must go. */
    int copies[8];
    int copied = 0;
    while (copied < passed_count) {
        int copy = fcntl(passed[copied], F_DUPFD_CLOEXEC, 10);
        if (copy < 0) { rc = errno; break; }
        copies[copied++] = copy;
    }

    if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, output_fd, 1);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, output_fd, 2);
    for (int i = 0; i < passed_count && rc == 0; i++) rc = posix_spawn_file_actions_adddup2(&actions, copies[i], 3 + i);
    /* Whatever else gitci has open (the index, other jobs' logs) is none of a step's business,
       and a step holding a pipe of gitci's would keep readers waiting after gitci is done. */
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3 + passed_count);
    if (rc == 0 && cwd != NULL) rc = posix_spawn_file_actions_addchdir_np(&actions, cwd);
    if (rc == 0) rc = set_leader_attributes(&attr);
    if (rc == 0) rc = posix_spawn(pid, argv[0], &actions, &attr, (char *const *)argv, (char *const *)envp);

    for (int i = 0; i < copied; i++) close(copies[i]);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

int gitci_spawn_io(pid_t *pid, const char *const argv[], const char *const envp[],
                   int input_fd, int output_fd, int error_fd) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    rc = posix_spawnattr_init(&attr);
    if (rc != 0) { posix_spawn_file_actions_destroy(&actions); return rc; }
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, input_fd, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, output_fd, 1);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, error_fd, 2);
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (rc == 0) rc = set_leader_attributes(&attr);
    if (rc == 0) rc = posix_spawn(pid, argv[0], &actions, &attr, (char *const *)argv, (char *const *)envp);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

int gitci_wait_exit_keep_zombie(pid_t pid, int *code, int *signaled) {
    siginfo_t info;
    for (;;) {
        info.si_pid = 0;
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) == 0) {
            *signaled = (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) ? 1 : 0;
            *code = info.si_status;
            return 0;
        }
        if (errno != EINTR) return errno;
    }
}

int gitci_exit_descriptor(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int gitci_exit_status_now(pid_t pid, int *code, int *signaled) {
    siginfo_t info;
    for (;;) {
        info.si_pid = 0;
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT | WNOHANG) == 0) {
            if (info.si_pid == 0) return 0;
            *signaled = (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) ? 1 : 0;
            *code = info.si_status;
            return 1;
        }
        if (errno != EINTR) return -1;
    }
}

int gitci_reap(pid_t pid) {
    int status = 0;
    for (;;) {
        if (waitpid(pid, &status, 0) >= 0) return status;
        if (errno != EINTR) return -1;
    }
}

int gitci_spawn_detached(pid_t *pid, const char *const argv[], const char *const envp[],
                         const char *log_path, int inherited_fd) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    rc = posix_spawnattr_init(&attr);
    if (rc != 0) { posix_spawn_file_actions_destroy(&actions); return rc; }

    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    sigset_t all, none;
    sigfillset(&all);
    sigdelset(&all, SIGUSR1);
    sigemptyset(&none);
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (log_fd >= 0) {
        if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, log_fd, 1);
        if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, log_fd, 2);
    } else {
        if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    }
    /* Descriptor 3 from a copy above it: a dup2 onto itself would keep its close-on-exec. */
    int handed = inherited_fd >= 0 ? fcntl(inherited_fd, F_DUPFD_CLOEXEC, 10) : -1;
    if (inherited_fd >= 0 && handed < 0 && rc == 0) rc = errno;
    if (handed >= 0 && rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, handed, 3);
    /* Descriptors the caller inherited without O_CLOEXEC (the hook's pipes) must not reach the
       child: the dup2s above have already placed the log on 1 and 2 (and the lock on 3). */
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, handed >= 0 ? 4 : 3);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &all);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &none);
    if (rc == 0) rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    if (rc == 0) rc = posix_spawn(pid, argv[0], &actions, &attr, (char *const *)argv, (char *const *)envp);

    if (log_fd >= 0) close(log_fd);
    if (handed >= 0) close(handed);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

int gitci_allowed_processors(void) {
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 0;
    return CPU_COUNT(&allowed);
}

int gitci_pipe(int ends[2]) {
    return pipe2(ends, O_CLOEXEC) == 0 ? 0 : errno;
}
