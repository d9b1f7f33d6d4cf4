/* Debian's libgit2 is built with mbedTLS, and git_libgit2_init parses every certificate of the
   system bundle (/etc/ssl/certs/ca-certificates.crt) in base64: about 6 ms, measured with
   `perf`, in every gitci process that opens a repository, although only `gitci sync` talks to
   a network. libgit2 offers no switch for it, so its two calls to mbedTLS's certificate loaders
   are redirected here at link time (`--wrap`, see Package.swift): during git_libgit2_init they
   only note what libgit2 asked for; any other time they go on to mbedTLS's own. GitKit hands
   the noted locations to libgit2 (GIT_OPT_SET_SSL_CERT_LOCATIONS) before a fetch or push, so
   TLS verification is exactly what it would have been. A libgit2 built without mbedTLS never
   calls these, and the deferral is then simply unused. */
#include "libgit2_startup.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_int deferring;
static char *deferred_file;
static char *deferred_folder;

void gitci_defer_startup(int on) { atomic_store(&deferring, on); }
int gitci_deferring_startup(void) { return atomic_load(&deferring); }
const char *gitci_deferred_ca_file(void) { return deferred_file; }
const char *gitci_deferred_ca_folder(void) { return deferred_folder; }

/* mbedTLS's own loaders, under the names the linker gives them when it redirects the calls. */
int __real_mbedtls_x509_crt_parse_file(void *chain, const char *path);
int __real_mbedtls_x509_crt_parse_path(void *chain, const char *path);

/* While deferring, notes `location` in `slot` and returns true. */
static int deferred(char **slot, const char *location) {
    if (!atomic_load(&deferring) || !location) return 0;
    free(*slot);
    *slot = strdup(location);
    return 1;
}

int __wrap_mbedtls_x509_crt_parse_file(void *chain, const char *path) {
    return deferred(&deferred_file, path) ? 0 : __real_mbedtls_x509_crt_parse_file(chain, path);
}

int __wrap_mbedtls_x509_crt_parse_path(void *chain, const char *path) {
    return deferred(&deferred_folder, path) ? 0 : __real_mbedtls_x509_crt_parse_path(chain, path);
}

/* git_libgit2_init also initialises libssh2, and with it OpenSSL's ciphers and digests: ~0.4 ms
   of every gitci process that opens a repository, for the SSH transport only a fetch or push to
   an ssh:// remote uses. libssh2 initialises itself when its first session is made
   (libssh2_session_init_ex calls _libssh2_init_if_needed), so libgit2's call is taken here
   (`--wrap`, Package.swift) and the work left for then. */
int __wrap_libssh2_init(int flags) {
    (void)flags;
    return 0;
}
