/*
 * sha256_ni.c - whole SHA-256 blocks through the processor's SHA
 * extensions, when it has them.
 *
 * Portable SHA-256 costs about 60 instructions a byte, which is a real
 * share of a pipe's load time (every byte loaded is hashed for the load
 * history's checksum).  Most x86-64 processors of recent years do a 64-byte
 * block in a few dozen instructions with these; sha256_update hands them
 * whole blocks and keeps everything else (partial blocks, padding) in the
 * portable code, on the same state, so the digest is identical.
 */
#include "core_int.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_SHA_NI_CODE 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#ifdef HAVE_SHA_NI_CODE

/* `blocks` 64-byte blocks into the state h[8] (A..H, as core keeps it).
 * The instructions want the state as ABEF and CDGH; the message schedule
 * keeps four groups of four words, group g made from groups g-4 .. g-1. */
__attribute__((target("sha,sse4.1,ssse3")))
static void blocks_ni(uint32_t h[8], const uint8_t *p, size_t blocks)
{
	const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1);
	__m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B);
	__m128i s0 = _mm_alignr_epi8(t, s1, 8);         /* ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xF0);              /* CDGH */
	for (; blocks > 0; blocks--, p += 64) {
		__m128i save0 = s0, save1 = s1, m[4];
		for (int g = 0; g < 16; g++) {
			if (g < 4) {
				m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)),
							swap);
			} else {
				__m128i w = _mm_sha256msg1_epu32(m[g & 3], m[(g - 3) & 3]);
				w = _mm_add_epi32(w, _mm_alignr_epi8(m[(g - 1) & 3], m[(g - 2) & 3], 4));
				m[g & 3] = _mm_sha256msg2_epu32(w, m[(g - 1) & 3]);
			}
			__m128i k = _mm_load_si128((const __m128i *)&sha256_k[4 * g]);
			__m128i wk = _mm_add_epi32(m[g & 3], k);
			s1 = _mm_sha256rnds2_epu32(s1, s0, wk);
			s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(wk, 0x0E));
		}
		s0 = _mm_add_epi32(s0, save0);
		s1 = _mm_add_epi32(s1, save1);
	}
	t = _mm_shuffle_epi32(s0, 0x1B);
	s1 = _mm_shuffle_epi32(s1, 0xB1);
	s0 = _mm_blend_epi16(t, s1, 0xF0);              /* ABCD */
	s1 = _mm_alignr_epi8(s1, t, 8);                 /* EFGH */
	_mm_storeu_si128((__m128i *)&h[0], s0);
	_mm_storeu_si128((__m128i *)&h[4], s1);
}

/* Whether the processor has the SHA extensions (and the SSE they use).
 * Asked once; a race between threads only asks twice. */
static bool have_sha_ni(void)
{
	static int known;       /* 0 not asked, 1 no, 2 yes */
	int k = __atomic_load_n(&known, __ATOMIC_RELAXED);
	if (k == 0) {
		unsigned a, b, c, d;
		bool sha = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
		bool sse = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 19)) && (c & (1u << 9));
		k = sha && sse ? 2 : 1;
		__atomic_store_n(&known, k, __ATOMIC_RELAXED);
	}
	return k == 2;
}

#endif


bool sha256_blocks_fast(uint32_t h[8], const uint8_t *p, size_t blocks)
{
#ifdef HAVE_SHA_NI_CODE
	if (!have_sha_ni())
		return false;
	blocks_ni(h, p, blocks);
	return true;
#else
	(void)h; (void)p; (void)blocks;
	return false;
#endif
}
