/* Debian's libgit2 is built with mbedTLS, and git_libgit2_init parses every certificate of the
   system bundle (/etc/ssl/certs/ca-certificates.crt) in base64: about 6 ms, measured with
   `perf`, in every gitci process that opens a repository, although only `gitci sync` talks to
   a network. libgit2 offers no switch for it, so gitci's executables define the two mbedTLS
   loaders themselves (exported, they come first in symbol lookup): during git_libgit2_init they
   only note what libgit2 asked for; any other time they call mbedTLS's own. GitKit hands the
   noted locations to libgit2 (GIT_OPT_SET_SSL_CERT_LOCATIONS) before a fetch or push, so TLS
   verification is exactly what it would have been. A libgit2 built without mbedTLS never calls
   these, and the deferral is then simply unused. */
#define _GNU_SOURCE
#include "libgit2_startup.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_int deferring;
static char *deferred_file;
static char *deferred_folder;

void gitci_defer_ca_certificates(int on) { atomic_store(&deferring, on); }
const char *gitci_deferred_ca_file(void) { return deferred_file; }
const char *gitci_deferred_ca_folder(void) { return deferred_folder; }

typedef int (*certificate_loader)(void *chain, const char *location);

/* While deferring, notes `location` in `slot`; otherwise calls mbedTLS's own `symbol`. */
static int defer_or_load(char **slot, const char *symbol, void *chain, const char *location) {
    if (atomic_load(&deferring) && location) {
        free(*slot);
        *slot = strdup(location);
        return 0;
    }
    certificate_loader real = (certificate_loader)dlsym(RTLD_NEXT, symbol);
    /* MBEDTLS_ERR_X509_FILE_IO_ERROR: what mbedTLS itself answers for an unreadable file. */
    return real ? real(chain, location) : -0x2900;
}

int mbedtls_x509_crt_parse_file(void *chain, const char *path) {
    return defer_or_load(&deferred_file, "mbedtls_x509_crt_parse_file", chain, path);
}

int mbedtls_x509_crt_parse_path(void *chain, const char *path) {
    return defer_or_load(&deferred_folder, "mbedtls_x509_crt_parse_path", chain, path);
}
