#ifndef GITCI_HOOK_SUPPORT_H
#define GITCI_HOOK_SUPPORT_H

#include <stddef.h>

/// Appends `count` ref updates (`olds[i] news[i] refs[i]`, all with the push options
/// `options`) to an existing queue database through `insertion` (an INSERT of received, old,
/// new, ref, options: the queue's schema is Swift's to spell, HookIntake's PushEvent), in one
/// transaction that is on disk when this returns (synchronous=FULL), waiting at most `busy_ms`
/// for another writer. Never creates the file.
/// Returns 0, or an SQLite result code with a message in `error` (`error_size` bytes).
/// On success the connection stays open in `*connection`, for gitci_queue_close once the worker
/// has been told: closing takes a while, and the worker can read the events already.
int gitci_queue_append(const char *path, const char *insertion, size_t count, const char *const olds[],
                       const char *const news[], const char *const refs[], const char *options,
                       double received, int busy_ms, char *error, size_t error_size, void **connection);

/// Closes what gitci_queue_append left open (NULL is fine).
void gitci_queue_close(void *connection);

/// How long (microseconds) a connection that found the queue locked sleeps before its retry
/// number `tries` (from 0), or -1 once it has waited `limit_ms`: the busy handler of the hook
/// and of the worker's connections (Store's DatabaseSetup).
int gitci_busy_pause(int tries, int limit_ms);

/// Makes the last connection to close the database `connection` (an sqlite3 *) leave its WAL
/// and shared-memory files in place, the WAL emptied, instead of deleting both: the next
/// connection then creates no files (two inodes, ~0.5 ms of a push's way to its first step).
/// An empty WAL holds no copy of any page, so SQLite still finds a damaged database damaged.
/// (Unless gitci_keep_wal_pages keeps the pages there too.) Returns an SQLite result code.
int gitci_keep_wal_file(void *connection);

/// Makes closing `connection` (an sqlite3 *) leave what the WAL holds there, even when it is
/// the last connection: no checkpoint on close (the queue's, see BuildQueue.startWALOver).
/// Returns an SQLite result code.
int gitci_keep_wal_pages(void *connection);

/// `PRAGMA synchronous = FULL` (full != 0) or `NORMAL` on an open connection, through
/// sqlite3_exec. Returns an SQLite result code.
int gitci_set_synchronous(void *connection, int full);

/* How many statements `connection` (a sqlite3 *) holds compiled. */
int gitci_compiled_statements(void *connection);

/// Replaces the process with `argv[0]`, whose standard input reads `input` (`length` bytes):
/// how the lean hook hands a push it does not handle itself to `gitci hook post-receive`,
/// after it has already read its own standard input. Returns only on failure, with an errno.
int gitci_exec_with_input(const char *const argv[], const char *input, size_t length);

/// Runs `argv[0]` with `input` (`length` bytes) as its standard input and waits for it: how the
/// lean hook, run as the installed hook itself, also runs the hook gitci was installed over.
/// Returns 0 with the child's wait status in `status`, or an errno.
int gitci_run_with_input(const char *const argv[], const char *input, size_t length, int *status);

#endif
