#ifndef GITCI_SANDBOX_PROTOCOL_H
#define GITCI_SANDBOX_PROTOCOL_H

/* How gitci talks to gitci-sandbox-init, the first process of a sandboxed job: both come from
   one build, so this header is the whole contract.

   gitci writes requests to the init's descriptor GITCI_SANDBOX_REQUEST_FD: a header of two
   int32 (kind, payload length in bytes), then the payload.
   - GITCI_SANDBOX_RUN: uint32 argc, uint32 envc, then NUL-terminated strings: the working
     folder, argc arguments (the first an absolute path), envc `NAME=value` entries. Only when no
     step runs.
   - GITCI_SANDBOX_SIGNAL: one int32, a signal for the running step's process group.
   Closing the request pipe ends the job: the init exits and the PID namespace with it.

   The init writes reports of three int32 (kind, first, second) to GITCI_SANDBOX_REPORT_FD:
   - GITCI_SANDBOX_READY (its pid in the namespace, 0) once, first;
   - GITCI_SANDBOX_STARTED (the step's pid, 0), or (0, errno) when it could not fork;
   - GITCI_SANDBOX_EXITED (exit status, 0) or (signal number, 1) when the step's leader ended. */

#define GITCI_SANDBOX_REQUEST_FD 3
#define GITCI_SANDBOX_REPORT_FD 4
#define GITCI_SANDBOX_LARGEST_REQUEST (64 << 20)

#define GITCI_SANDBOX_RUN 1
#define GITCI_SANDBOX_SIGNAL 2

#define GITCI_SANDBOX_READY 10
#define GITCI_SANDBOX_STARTED 11
#define GITCI_SANDBOX_EXITED 12

#endif
