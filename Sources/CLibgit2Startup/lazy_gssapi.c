/* Debian's libgit2 is built with GSSAPI, for HTTP "Negotiate" (Kerberos) authentication, so every
   executable linking it needed libgssapi_krb5 and, through it, six more shared libraries
   (libkrb5, libk5crypto, libcom_err, libkrb5support, libkeyutils, libresolv): found, mapped and
   relocated at every start, ~0.5 ms of each gitci process (A/B of `gitci hook post-receive`,
   500 runs), a push's worker among them. Kerberos is only ever needed by a fetch or push to an
   HTTP remote that asks for it, so libgit2's calls to GSSAPI are taken here (`--wrap`, see
   Package.swift) and the library is loaded on the first one. Without it, the call fails the way
   GSSAPI reports any failure, and libgit2 reports that authentication failed. */
#include "libgit2_startup.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#define GSS_S_FAILURE (13u << 16)

/* The one GSSAPI variable libgit2 reads: the name type of `HTTP@host`. It stands in for the
   library's own until that is loaded, and __wrap_gss_import_name swaps the two. The OID is
   RFC 2743's 1.2.840.113554.1.2.1.4. */
static gitci_gss_oid_desc hostbased_service_name = {10, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04"};
gitci_gss_oid GSS_C_NT_HOSTBASED_SERVICE = &hostbased_service_name;

static void *library;
static pthread_once_t loading = PTHREAD_ONCE_INIT;

static void load(void) { library = dlopen("libgssapi_krb5.so.2", RTLD_NOW | RTLD_LOCAL); }

int gitci_gssapi_loaded(void) { return library != NULL; }

/* The library's `name`, loading the library first if need be; NULL when it is not there. */
static void *real(const char *name) {
    pthread_once(&loading, load);
    return library ? dlsym(library, name) : NULL;
}

static OM_uint32 unavailable(OM_uint32 *minor) {
    if (minor) *minor = 0;
    return GSS_S_FAILURE;
}

OM_uint32 __wrap_gss_indicate_mechs(OM_uint32 *minor, void **mechanisms) {
    OM_uint32 (*call)(OM_uint32 *, void **) = real("gss_indicate_mechs");
    return call ? call(minor, mechanisms) : unavailable(minor);
}

OM_uint32 __wrap_gss_release_oid_set(OM_uint32 *minor, void **set) {
    OM_uint32 (*call)(OM_uint32 *, void **) = real("gss_release_oid_set");
    return call ? call(minor, set) : unavailable(minor);
}

OM_uint32 __wrap_gss_import_name(OM_uint32 *minor, void *name, gitci_gss_oid type, void **imported) {
    OM_uint32 (*call)(OM_uint32 *, void *, gitci_gss_oid, void **) = real("gss_import_name");
    if (!call) return unavailable(minor);
    if (type == GSS_C_NT_HOSTBASED_SERVICE) {
        gitci_gss_oid *own = dlsym(library, "GSS_C_NT_HOSTBASED_SERVICE");
        if (own) type = *own;
    }
    return call(minor, name, type, imported);
}

OM_uint32 __wrap_gss_release_name(OM_uint32 *minor, void **name) {
    OM_uint32 (*call)(OM_uint32 *, void **) = real("gss_release_name");
    return call ? call(minor, name) : unavailable(minor);
}

OM_uint32 __wrap_gss_init_sec_context(OM_uint32 *minor, void *credential, void **context, void *target,
                                      gitci_gss_oid mechanism, OM_uint32 flags, OM_uint32 lifetime, void *bindings,
                                      void *input, gitci_gss_oid *actual_mechanism, void *output,
                                      OM_uint32 *granted_flags, OM_uint32 *granted_lifetime) {
    OM_uint32 (*call)(OM_uint32 *, void *, void **, void *, gitci_gss_oid, OM_uint32, OM_uint32, void *, void *,
                      gitci_gss_oid *, void *, OM_uint32 *, OM_uint32 *) = real("gss_init_sec_context");
    if (!call) return unavailable(minor);
    return call(minor, credential, context, target, mechanism, flags, lifetime, bindings, input, actual_mechanism,
                output, granted_flags, granted_lifetime);
}

OM_uint32 __wrap_gss_delete_sec_context(OM_uint32 *minor, void **context, void *output) {
    OM_uint32 (*call)(OM_uint32 *, void **, void *) = real("gss_delete_sec_context");
    return call ? call(minor, context, output) : unavailable(minor);
}

OM_uint32 __wrap_gss_display_status(OM_uint32 *minor, OM_uint32 status, int type, gitci_gss_oid mechanism,
                                    OM_uint32 *message_context, void *message) {
    OM_uint32 (*call)(OM_uint32 *, OM_uint32, int, gitci_gss_oid, OM_uint32 *, void *) = real("gss_display_status");
    return call ? call(minor, status, type, mechanism, message_context, message) : unavailable(minor);
}

OM_uint32 __wrap_gss_release_buffer(OM_uint32 *minor, void *buffer) {
    OM_uint32 (*call)(OM_uint32 *, void *) = real("gss_release_buffer");
    return call ? call(minor, buffer) : unavailable(minor);
}
