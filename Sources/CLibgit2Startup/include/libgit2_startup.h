#ifndef GITCI_LIBGIT2_STARTUP_H
#define GITCI_LIBGIT2_STARTUP_H

#include <stdint.h>

/* While on, libgit2's start-up load of the system CA certificates is recorded instead of done
   (see libgit2_startup.c). Turn it on around git_libgit2_init only. */
void gitci_defer_startup(int deferring);
int gitci_deferring_startup(void);

/* The CA file and folder libgit2 asked for while deferring (NULL when none): hand them to
   GIT_OPT_SET_SSL_CERT_LOCATIONS before the first network operation. */
const char *gitci_deferred_ca_file(void);
const char *gitci_deferred_ca_folder(void);

/* Kerberos (libgssapi_krb5) is loaded on libgit2's first GSSAPI call (see lazy_gssapi.c):
   whether that has happened and found the library. */
int gitci_gssapi_loaded(void);

/* GSSAPI's types, as far as its callers here need them (the headers are in libkrb5-dev, which
   gitci does not need). */
typedef uint32_t OM_uint32;
typedef struct { OM_uint32 length; void *elements; } gitci_gss_oid_desc, *gitci_gss_oid;

/* What libgit2's calls to gss_indicate_mechs and gss_release_oid_set become. */
OM_uint32 __wrap_gss_indicate_mechs(OM_uint32 *minor, void **mechanisms);
OM_uint32 __wrap_gss_release_oid_set(OM_uint32 *minor, void **set);

#endif
