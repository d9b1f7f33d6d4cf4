/* gitci-sandbox-init: process 1 of a sandboxed job's PID namespace, started by bwrap
   (--as-pid-1). It starts the job's steps one after another when gitci asks, each in its own
   process group, reports how each ended, and reaps whatever is orphaned in the namespace.
   Background processes a step leaves keep running for the later steps; when gitci closes the
   request pipe (the job is over) this program exits, and the kernel kills and reaps every
   process left in the namespace, however it detached itself (setsid, nohup, a double fork),
   before this exit, and so bwrap's, is complete.

   The protocol (CSpawn's gitci_sandbox_protocol.h) is private to gitci and this program, which always come
   from the same build. */
#define _GNU_SOURCE
#include "gitci_sandbox_protocol.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static int read_full(int fd, void *buffer, size_t size) {
    char *at = buffer;
    while (size > 0) {
        ssize_t got = read(fd, at, size);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        at += got;
        size -= (size_t)got;
    }
    return 0;
}

static void report(int32_t kind, int32_t first, int32_t second) {
    int32_t record[3] = {kind, first, second};
    ssize_t written;
    do {
        written = write(GITCI_SANDBOX_REPORT_FD, record, sizeof record);
    } while (written < 0 && errno == EINTR);
    /* gitci is gone: nothing is left to run for. */
    if (written != (ssize_t)sizeof record) _exit(0);
}

/* Splits a run request's payload: the folder, then argc arguments, then the environment. */
static int parse_run(char *payload, uint32_t length, char **cwd, char ***argv, char ***envp) {
    if (length < 8) return -1;
    uint32_t argc, envc;
    memcpy(&argc, payload, 4);
    memcpy(&envc, payload + 4, 4);
    if (argc == 0 || argc > length || envc > length) return -1;
    char **strings = calloc((size_t)argc + envc + 3, sizeof(char *));
    if (strings == NULL) return -1;
    char *at = payload + 8, *end = payload + length;
    size_t wanted = 1 + (size_t)argc + envc, found = 0;
    while (found < wanted && at < end) {
        char *nul = memchr(at, 0, (size_t)(end - at));
        if (nul == NULL) break;
        /* Arguments, then a NULL, then the environment, then a NULL. */
        strings[found + (found > argc ? 1 : 0)] = at;
        found++;
        at = nul + 1;
    }
    if (found != wanted) { free(strings); return -1; }
    *cwd = strings[0];
    *argv = strings + 1;
    (*argv)[argc] = NULL;
    /* The environment moved one slot up to make room for argv's NULL. */
    *envp = strings + argc + 2;
    (*envp)[envc] = NULL;
    return 0;
}

static pid_t start_step(char *payload, uint32_t length) {
    char *cwd, **argv, **envp;
    if (parse_run(payload, length, &cwd, &argv, &envp) != 0) { errno = EINVAL; return -1; }
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, 0);
        setpgid(0, 0);
        closefrom(3);
        if (chdir(cwd) != 0) {
            dprintf(2, "gitci: cannot enter %s: %s\n", cwd, strerror(errno));
            _exit(127);
        }
        execve(argv[0], argv, envp);
        dprintf(2, "gitci: cannot start %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int saved = errno;
    /* Also here, so that a signal sent right after the report finds the group. */
    if (pid > 0) setpgid(pid, pid);
    free(argv - 1);
    errno = saved;
    return pid;
}

int main(void) {
    /* Ends with bwrap, whatever happens to gitci. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t children;
    sigemptyset(&children);
    sigaddset(&children, SIGCHLD);
    sigprocmask(SIG_BLOCK, &children, NULL);
    int exits = signalfd(-1, &children, SFD_CLOEXEC | SFD_NONBLOCK);
    if (exits < 0) return 1;

    report(GITCI_SANDBOX_READY, getpid(), 0);
    pid_t step = 0;
    for (;;) {
        struct pollfd watched[2] = {{GITCI_SANDBOX_REQUEST_FD, POLLIN, 0}, {exits, POLLIN, 0}};
        if (poll(watched, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return 1;
        }
        if (watched[1].revents & POLLIN) {
            struct signalfd_siginfo info;
            while (read(exits, &info, sizeof info) > 0) {}
            int status;
            pid_t pid;
            while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                if (pid != step) continue;
                step = 0;
                if (WIFSIGNALED(status)) report(GITCI_SANDBOX_EXITED, WTERMSIG(status), 1);
                else report(GITCI_SANDBOX_EXITED, WEXITSTATUS(status), 0);
            }
        }
        if (watched[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            int32_t header[2];
            /* The end of the job. */
            if (read_full(GITCI_SANDBOX_REQUEST_FD, header, sizeof header) != 0) return 0;
            if (header[1] < 0 || header[1] > GITCI_SANDBOX_LARGEST_REQUEST) return 1;
            char *payload = malloc((size_t)header[1] + 1);
            if (payload == NULL || read_full(GITCI_SANDBOX_REQUEST_FD, payload, (size_t)header[1]) != 0) return 1;
            if (header[0] == GITCI_SANDBOX_RUN && step == 0) {
                pid_t pid = start_step(payload, (uint32_t)header[1]);
                if (pid > 0) step = pid;
                report(GITCI_SANDBOX_STARTED, pid > 0 ? pid : 0, pid > 0 ? 0 : errno);
            } else if (header[0] == GITCI_SANDBOX_SIGNAL && header[1] == 4) {
                int32_t number;
                memcpy(&number, payload, 4);
                /* A step already reaped is over: its group is left alone. */
                if (step > 0) kill(-step, number);
            } else {
                free(payload);
                return 1;
            }
            free(payload);
        }
    }
}
