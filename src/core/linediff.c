/*
 * linediff.c - the lines two texts differ by, for an operator comparing
 * the definition a run used with the file on disk now.
 *
 * A longest common subsequence over the lines left once the common head
 * and tail are set aside: definitions are small and an edit touches a few
 * lines, so the table stays small.  Past LINEDIFF_MAX_CELLS the middle is
 * shown as removed and added whole rather than holding a huge table.
 */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

#define LINEDIFF_MAX_CELLS (4u << 20)

struct lines {
	const char **at;       /* start of each line */
	size_t *len;           /* without its newline */
	size_t n;
};

static void split_lines(const char *text, struct lines *l)
{
	size_t cap = 16;
	l->at = xcalloc(cap, sizeof *l->at);
	l->len = xcalloc(cap, sizeof *l->len);
	l->n = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (l->n == cap) {
			cap *= 2;
			l->at = xrealloc(l->at, cap * sizeof *l->at);
			l->len = xrealloc(l->len, cap * sizeof *l->len);
		}
		l->at[l->n] = p;
		l->len[l->n++] = len;
		p += len + (nl != NULL);
	}
}

static bool same(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->at[i], b->at[j], a->len[i]) == 0;
}

static void emit(struct buf *out, char mark, const struct lines *l, size_t i)
{
	buf_putc(out, mark);
	buf_append(out, l->at[i], l->len[i]);
	buf_putc(out, '\n');
}

/* The middle a[lo_a, hi_a) against b[lo_b, hi_b), by an LCS table of
 * suffixes (lcs[i][j]: the common length of a[i..] and b[j..]). */
static int diff_middle(struct buf *out, const struct lines *a, size_t lo_a, size_t hi_a,
		       const struct lines *b, size_t lo_b, size_t hi_b)
{
	size_t n = hi_a - lo_a, m = hi_b - lo_b, changes = 0;
	uint32_t *lcs = NULL;
	if (n && m && (n + 1) * (m + 1) <= LINEDIFF_MAX_CELLS) {
		lcs = xcalloc((n + 1) * (m + 1), sizeof *lcs);
		for (size_t i = n; i-- > 0;)
			for (size_t j = m; j-- > 0;) {
				uint32_t *c = &lcs[i * (m + 1) + j];
				if (same(a, lo_a + i, b, lo_b + j))
					*c = lcs[(i + 1) * (m + 1) + j + 1] + 1;
				else {
					uint32_t down = lcs[(i + 1) * (m + 1) + j];
					uint32_t right = lcs[i * (m + 1) + j + 1];
					*c = down > right ? down : right;
				}
			}
	}
	size_t i = 0, j = 0;
	while (i < n || j < m) {
		if (lcs && i < n && j < m && same(a, lo_a + i, b, lo_b + j)) {
			emit(out, ' ', a, lo_a + i++);
			j++;
		} else if (i < n && (j == m || !lcs ||
				     lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1])) {
			emit(out, '-', a, lo_a + i++);
			changes++;
		} else {
			emit(out, '+', b, lo_b + j++);
			changes++;
		}
	}
	free(lcs);
	return (int)changes;
}

char *linediff(const char *old_text, const char *new_text, int *changes)
{
	struct lines a, b;
	split_lines(old_text, &a);
	split_lines(new_text, &b);
	size_t head = 0, tail = 0;
	while (head < a.n && head < b.n && same(&a, head, &b, head))
		head++;
	while (tail < a.n - head && tail < b.n - head &&
	       same(&a, a.n - 1 - tail, &b, b.n - 1 - tail))
		tail++;
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < head; i++)
		emit(&out, ' ', &a, i);
	*changes = diff_middle(&out, &a, head, a.n - tail, &b, head, b.n - tail);
	for (size_t i = a.n - tail; i < a.n; i++)
		emit(&out, ' ', &a, i);
	free(a.at);
	free(a.len);
	free(b.at);
	free(b.len);
	return buf_detach(&out);
}
