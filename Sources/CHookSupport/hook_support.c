/* The parts of the lean post-receive hook (gitci-hook) that talk to C libraries: SQLite, and
   an exec with a prepared standard input. In C so that the hook binary links neither GRDB nor
   Foundation (see Sources/gitci-hook). The SQLite settings the hook and Store's connections
   share (the busy schedule, keeping the WAL file) live here too, written once. */
#define _GNU_SOURCE
#include "gitci_hook_support.h"

#include <errno.h>
#include <stdint.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* SQLite's own busy timeout sleeps 1 ms, then 2, then 5: a commit of a fraction of a
   millisecond (the worker's, or the hook's) cost the waiter 1 to 3 ms. 100 us twenty times, then 1 ms, then 10 ms, up to the limit. */
int gitci_busy_pause(int tries, int limit_ms) {
    long waited_us = tries < 20 ? tries * 100L : tries < 100 ? 2000L + (tries - 20) * 1000L : 82000L + (tries - 100) * 10000L;
    if (waited_us >= (long)limit_ms * 1000) return -1;
    return tries < 20 ? 100 : tries < 100 ? 1000 : 10000;
}

static int busy_wait(void *limit_ms, int tries) {
    int pause = gitci_busy_pause(tries, (int)(intptr_t)limit_ms);
    if (pause < 0) return 0;
    usleep((useconds_t)pause);
    return 1;
}

int gitci_keep_wal_file(void *connection) {
    sqlite3 *db = connection;
    int on = 1;
    int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
    if (rc != SQLITE_OK) return rc;
    /* Any limit makes the last connection truncate the kept WAL to nothing when it closes; this
       one only cuts back a WAL a very large write (a reindex) grew, once it is checkpointed. */
    return sqlite3_exec(db, "PRAGMA journal_size_limit = 67108864", NULL, NULL, NULL);
}

int gitci_keep_wal_pages(void *connection) {
    return sqlite3_db_config((sqlite3 *)connection, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

int gitci_set_synchronous(void *connection, int full) {
    return sqlite3_exec((sqlite3 *)connection, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
}

int gitci_compiled_statements(void *connection) {
    int count = 0;
    for (sqlite3_stmt *statement = sqlite3_next_stmt(connection, NULL); statement; statement = sqlite3_next_stmt(connection, statement)) count++;
    return count;
}

static int fail(sqlite3 *db, int rc, char *error, size_t error_size) {
    snprintf(error, error_size, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    return rc;
}

int gitci_queue_append(const char *path, const char *insertion, size_t count, const char *const olds[],
                       const char *const news[], const char *const refs[], const char *options,
                       double received, int busy_ms, char *error, size_t error_size, void **connection) {
    *connection = NULL;
    sqlite3 *db = NULL;
    sqlite3_stmt *insert = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) goto done;
    sqlite3_busy_handler(db, busy_wait, (void *)(intptr_t)busy_ms);
    /* The last connection to close checkpoints the WAL into the database (two more fsyncs)
       unless told not to. The committed WAL is as durable, and the worker the hook then starts
       checkpoints it anyway: the push need not wait for that. */
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
    /* The queue is in WAL mode (set when it was created); FULL makes the commit an fsync of the
       WAL: what the hook records exists nowhere else. */
    rc = sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
    if (rc != SQLITE_OK) goto done;
    /* Prepared before the write lock is taken: a connection's first statement reads the schema,
       and another writer (the worker) need not wait for that as well. */
    rc = sqlite3_prepare_v2(db, insertion, -1, &insert, NULL);
    if (rc != SQLITE_OK) goto done;
    rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < count; i++) {
        sqlite3_bind_double(insert, 1, received);
        sqlite3_bind_text(insert, 2, olds[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 3, news[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 4, refs[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 5, options, -1, SQLITE_STATIC);
        rc = sqlite3_step(insert);
        if (rc == SQLITE_DONE) rc = sqlite3_reset(insert);
    }
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
done:
    if (rc != SQLITE_OK) {
        fail(db, rc, error, error_size);
        if (db) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_finalize(insert);
    if (rc == SQLITE_OK) {
        *connection = db;
    } else {
        sqlite3_close(db);
    }
    return rc;
}

void gitci_queue_close(void *connection) {
    sqlite3_close((sqlite3 *)connection);
}

/* A memory file holding `input`, read from its start; not a pipe: no writer has to stay
   behind for inputs over 64 KiB. Returns the descriptor, or -1 with errno set. */
static int input_file(const char *input, size_t length) {
    int fd = memfd_create("gitci-hook-input", MFD_CLOEXEC);
    if (fd < 0) return -1;
    size_t written = 0;
    while (written < length) {
        ssize_t n = write(fd, input + written, length - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        written += (size_t)n;
    }
    if (lseek(fd, 0, SEEK_SET) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int gitci_exec_with_input(const char *const argv[], const char *input, size_t length) {
    int fd = input_file(input, length);
    if (fd < 0) return errno;
    /* dup2 clears close-on-exec on the copy: standard input survives the exec. */
    if (dup2(fd, 0) < 0) {
        int saved = errno;
        close(fd);
        return saved;
    }
    close(fd);
    execv(argv[0], (char *const *)argv);
    return errno;
}

int gitci_run_with_input(const char *const argv[], const char *input, size_t length, int *status) {
    int fd = input_file(input, length);
    if (fd < 0) return errno;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fd, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &actions, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fd);
    if (rc != 0) return rc;
    while (waitpid(pid, status, 0) < 0) {
        if (errno != EINTR) return errno;
    }
    return 0;
}
