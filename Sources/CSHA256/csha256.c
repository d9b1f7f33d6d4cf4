#include "csha256.h"
#include <openssl/evp.h>

gitci_sha256 *gitci_sha256_new(void) {
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    if (context == NULL) return NULL;
    if (EVP_DigestInit_ex(context, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(context);
        return NULL;
    }
    return (gitci_sha256 *)context;
}

int gitci_sha256_update(gitci_sha256 *hasher, const void *bytes, size_t count) {
    return EVP_DigestUpdate((EVP_MD_CTX *)hasher, bytes, count);
}

int gitci_sha256_final(gitci_sha256 *hasher, unsigned char *digest) {
    unsigned int length = 0;
    return EVP_DigestFinal_ex((EVP_MD_CTX *)hasher, digest, &length) == 1 && length == 32;
}

void gitci_sha256_free(gitci_sha256 *hasher) {
    EVP_MD_CTX_free((EVP_MD_CTX *)hasher);
}
