/* git_libgit2_init also sets up mbedTLS's random number generator for TLS, and seeding it gathers
   entropy through mbedTLS's HAVEGE source, whose set-up alone runs a long timing loop: ~0.2 ms
   (`perf`: havege_fill, mbedtls_timing_hardclock) of every gitci process that opens a
   repository, for a generator only a fetch or push over HTTPS ever draws from. So, while
   libgit2 starts (the same switch as the CA certificates, libgit2_startup.c), its calls to
   mbedtls_entropy_init and mbedtls_ctr_drbg_seed are only noted (`--wrap`, see Package.swift),
   and both are made, with libgit2's own arguments, before the generator's first draw: libgit2
   hands mbedTLS the wrapped mbedtls_ctr_drbg_random. TLS is seeded exactly as before, later. */
#include "libgit2_startup.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef int (*entropy_function)(void *, unsigned char *, size_t);

/* mbedTLS's own functions, under the names the linker gives them when it redirects the calls.
   Their contexts stay opaque here: only libgit2 allocates them. */
void __real_mbedtls_entropy_init(void *entropy);
void __real_mbedtls_entropy_free(void *entropy);
int __real_mbedtls_ctr_drbg_seed(void *generator, entropy_function gather, void *entropy,
                                 const unsigned char *custom, size_t length);
int __real_mbedtls_ctr_drbg_random(void *generator, unsigned char *output, size_t length);

/* MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED: what an unseedable generator answers. */
#define SEED_FAILED (-0x0034)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* The entropy context libgit2 asked to have set up, while that is still to be done. */
static void *deferred_entropy;
/* The seeding libgit2 asked for, while it is still to be done. */
static struct {
    void *generator;
    entropy_function gather;
    void *entropy;
    unsigned char *custom;
    size_t length;
} deferred_seed;
static void *seeded_generator;
static int seed_result;
static int seeded;

int gitci_tls_random_seeded(void) {
    pthread_mutex_lock(&lock);
    int result = seeded;
    pthread_mutex_unlock(&lock);
    return result;
}

void __wrap_mbedtls_entropy_init(void *entropy) {
    if (gitci_deferring_startup()) {
        pthread_mutex_lock(&lock);
        deferred_entropy = entropy;
        pthread_mutex_unlock(&lock);
        return;
    }
    __real_mbedtls_entropy_init(entropy);
}

void __wrap_mbedtls_entropy_free(void *entropy) {
    pthread_mutex_lock(&lock);
    int never_set_up = entropy != NULL && entropy == deferred_entropy;
    if (never_set_up) {
        /* Freed before anything drew from it (libgit2 shutting down): nothing to free, and
           nothing to seed from it any more. */
        deferred_entropy = NULL;
        if (deferred_seed.entropy == entropy) {
            free(deferred_seed.custom);
            memset(&deferred_seed, 0, sizeof deferred_seed);
        }
    }
    pthread_mutex_unlock(&lock);
    if (!never_set_up) __real_mbedtls_entropy_free(entropy);
}

int __wrap_mbedtls_ctr_drbg_seed(void *generator, entropy_function gather, void *entropy,
                                 const unsigned char *custom, size_t length) {
    if (!gitci_deferring_startup()) return __real_mbedtls_ctr_drbg_seed(generator, gather, entropy, custom, length);
    unsigned char *copy = NULL;
    if (custom && length > 0) {
        copy = malloc(length);
        if (!copy) return __real_mbedtls_ctr_drbg_seed(generator, gather, entropy, custom, length);
        memcpy(copy, custom, length);
    }
    pthread_mutex_lock(&lock);
    free(deferred_seed.custom);
    deferred_seed.generator = generator;
    deferred_seed.gather = gather;
    deferred_seed.entropy = entropy;
    deferred_seed.custom = copy;
    deferred_seed.length = length;
    pthread_mutex_unlock(&lock);
    return 0;
}

int __wrap_mbedtls_ctr_drbg_random(void *generator, unsigned char *output, size_t length) {
    pthread_mutex_lock(&lock);
    if (generator != NULL && generator == deferred_seed.generator) {
        if (deferred_entropy != NULL && deferred_entropy == deferred_seed.entropy) {
            __real_mbedtls_entropy_init(deferred_entropy);
            deferred_entropy = NULL;
        }
        seeded_generator = generator;
        seed_result = __real_mbedtls_ctr_drbg_seed(generator, deferred_seed.gather, deferred_seed.entropy,
                                                   deferred_seed.custom, deferred_seed.length);
        free(deferred_seed.custom);
        memset(&deferred_seed, 0, sizeof deferred_seed);
        seeded = 1;
    }
    int failed = generator == seeded_generator && seed_result != 0;
    pthread_mutex_unlock(&lock);
    if (failed) return SEED_FAILED;
    return __real_mbedtls_ctr_drbg_random(generator, output, length);
}
