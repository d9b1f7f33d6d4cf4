#ifndef GITCI_CSHA256_H
#define GITCI_CSHA256_H
#include <stddef.h>

/// Incremental SHA-256 over OpenSSL's libcrypto, which GitKit already links statically
/// (libgit2 needs it): no second copy of a hash implementation in the binary.
typedef struct gitci_sha256 gitci_sha256;

/// NULL when out of memory.
gitci_sha256 *gitci_sha256_new(void);
/// 1 on success.
int gitci_sha256_update(gitci_sha256 *hasher, const void *bytes, size_t count);
/// Writes 32 bytes; 1 on success. The hasher cannot be updated afterwards.
int gitci_sha256_final(gitci_sha256 *hasher, unsigned char *digest);
void gitci_sha256_free(gitci_sha256 *hasher);

#endif
