#ifndef GITCI_LIBGIT2_STARTUP_H
#define GITCI_LIBGIT2_STARTUP_H

/* While on, libgit2's start-up load of the system CA certificates is recorded instead of done
   (see libgit2_startup.c). Turn it on around git_libgit2_init only. */
void gitci_defer_ca_certificates(int deferring);

/* The CA file and folder libgit2 asked for while deferring (NULL when none): hand them to
   GIT_OPT_SET_SSL_CERT_LOCATIONS before the first network operation. */
const char *gitci_deferred_ca_file(void);
const char *gitci_deferred_ca_folder(void);

#endif
