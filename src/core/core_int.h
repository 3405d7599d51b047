/*
 * core_int.h - shared between the files of core/ only.
 */
#ifndef SLUICE_CORE_INT_H
#define SLUICE_CORE_INT_H

#include "core.h"

/* SHA-256's round constants, K in FIPS 180-4 (sha256.c). */
extern const uint32_t sha256_k[64];

/* Compress `blocks` whole 64-byte blocks into h with the processor's SHA
 * instructions; false (and nothing done) when it has none. */
bool sha256_blocks_fast(uint32_t h[8], const uint8_t *p, size_t blocks);

#endif
