/*
 * pipes_bad.h - the malformed-input corpus (tests/data/bad, described line
 * by line in tests/data/bad/EXPECTED) through pipes under each on_error
 * policy: every file gets its precise first error on record (message,
 * line, column, column name), its good records load as the policy says,
 * the good files of tests/data/good beside them load whole, and no file in
 * the lake is lost or changed.
 */
#ifndef SLUICE_PIPES_BAD_H
#define SLUICE_PIPES_BAD_H

#include "pipes_fixture.h"

struct bad_case {
	char *file, *format, *columns, *severity, *where, *message;
	long before, after, errors;
	long line, col;            /* from where */
	char delimiter;
};

static void bad_cases_free(struct vec *v)
{
	for (size_t i = 0; i < v->len; i++) {
		struct bad_case *c = v->items[i];
		free(c->file);
		free(c->format);
		free(c->columns);
		free(c->severity);
		free(c->where);
		free(c->message);
		free(c);
	}
	vec_free(v);
}

/* Split one EXPECTED line on tabs into exactly n fields (in place). */
static int split_tabs(char *line, char **fields, int n)
{
	int k = 0;
	fields[k++] = line;
	for (char *p = line; *p && k <= n; p++) {
		if (*p == '\t') {
			*p = '\0';
			if (k < n)
				fields[k] = p + 1;
			k++;
		}
	}
	return k;
}

static void bad_cases_read(const char *dir, struct vec *out)
{
	char *path = path_join(dir, "EXPECTED");
	struct err e = { 0 };
	char *text = file_read_all(path, NULL, &e);
	ck_assert_msg(text != NULL, "%s", err_text(&e));
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || !line[0])
			continue;
		char *f[9];
		ck_assert_msg(split_tabs(line, f, 9) == 9, "EXPECTED: bad line: %s", line);
		struct bad_case *c = xcalloc(1, sizeof *c);
		c->file = xstrdup(f[0]);
		c->delimiter = ',';
		if (str_starts_with(f[1], "csv:")) {
			c->delimiter = f[1][4];
			c->format = xstrdup("csv");
		} else {
			c->format = xstrdup(f[1]);
		}
		c->columns = xstrdup(f[2]);
		c->severity = xstrdup(f[3]);
		c->before = atol(f[4]);
		c->after = atol(f[5]);
		c->errors = atol(f[6]);
		c->where = xstrdup(f[7]);
		c->message = xstrdup(f[8]);
		if (strcmp(c->where, "-") != 0) {
			/* FILE:LINE:COL */
			char *col = strrchr(c->where, ':');
			ck_assert_ptr_nonnull(col);
			*col = '\0';
			char *ln = strrchr(c->where, ':');
			ck_assert_ptr_nonnull(ln);
			c->line = atol(ln + 1);
			c->col = atol(col + 1);
			*col = ':';
		}
		vec_push(out, c);
	}
	free(text);
	free(path);
	ck_assert_msg(out->len >= 30, "the corpus has only %zu files", out->len);
}

/* The corpus's column types (format's names) as SQL types for the pipe. */
static const char *sql_type_of(const char *fmt_type)
{
	static const char *const map[][2] = {
		{ "int", "bigint" }, { "numeric", "numeric" }, { "bool", "boolean" },
		{ "date", "date" }, { "time", "time" }, { "timestamp", "timestamp" },
		{ "json", "json" }, { "text", "text" },
	};
	for (size_t i = 0; i < ARRAY_LEN(map); i++)
		if (strcmp(map[i][0], fmt_type) == 0)
			return map[i][1];
	ck_abort_msg("unknown column type %s in EXPECTED", fmt_type);
	return NULL;
}

static void columns_json(struct buf *b, const char *spec)
{
	if (strcmp(spec, "-") == 0)
		return;
	buf_puts(b, ", \"columns\": [");
	struct vec cols = VEC_INIT;
	str_split(spec, ",", &cols);
	for (size_t i = 0; i < cols.len; i++) {
		struct vec parts = VEC_INIT;
		str_split(cols.items[i], ":", &parts);
		ck_assert_int_ge(parts.len, 2);
		buf_printf(b, "%s{ \"name\": \"%s\", \"type\": \"%s\"", i ? ", " : "",
			   (char *)parts.items[0], sql_type_of(parts.items[1]));
		if (parts.len > 2)
			buf_printf(b, ", \"source\": \"%s\"", (char *)parts.items[2]);
		buf_puts(b, " }");
		vec_free_all(&parts, free);
	}
	vec_free_all(&cols, free);
	buf_puts(b, "]");
}

static const char *const POLICIES[] = { "skip_file", "continue", "abort" };

static const char *const GOOD_FILES[][3] = {
	{ "orders.csv", "csv", "," }, { "orders_semicolon.csv", "csv", ";" },
	{ "orders.json", "json", "," }, { "orders.ndjson", "ndjson", "," },
	{ "unicode.ndjson", "ndjson", "," },
};

/* One pipe per file and policy: pipe b<i>_<policy> into table t<i>_<policy>;
 * good files g<i>_<policy>. */
static char *bad_project(const struct vec *cases)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "{ \"connections\": { \"wh\": { \"url\": \"@WH@\" } }, \"pipes\": [");
	bool first = true;
	for (size_t p = 0; p < ARRAY_LEN(POLICIES); p++) {
		for (size_t i = 0; i < cases->len; i++) {
			const struct bad_case *c = cases->items[i];
			buf_printf(&b, "%s{ \"name\": \"b%zu_%s\", \"path\": \"bad/\", "
				   "\"pattern\": \"%s\", \"format\": \"%s\", \"connection\": "
				   "\"wh\", \"table\": \"t%zu_%s\", \"on_error\": \"%s\"",
				   first ? "" : ",\n", i, POLICIES[p], c->file, c->format, i,
				   POLICIES[p], POLICIES[p]);
			if (c->delimiter != ',')
				buf_printf(&b, ", \"csv_delimiter\": \"%c\"", c->delimiter);
			columns_json(&b, c->columns);
			buf_puts(&b, " }");
			first = false;
		}
		for (size_t i = 0; i < ARRAY_LEN(GOOD_FILES); i++) {
			buf_printf(&b, ",\n{ \"name\": \"g%zu_%s\", \"path\": \"bad/\", "
				   "\"pattern\": \"%s\", \"format\": \"%s\", \"connection\": "
				   "\"wh\", \"table\": \"g%zu_%s\", \"on_error\": \"%s\"",
				   i, POLICIES[p], GOOD_FILES[i][0], GOOD_FILES[i][1], i,
				   POLICIES[p], POLICIES[p]);
			if (GOOD_FILES[i][2][0] != ',')
				buf_printf(&b, ", \"csv_delimiter\": \"%s\"", GOOD_FILES[i][2]);
			buf_puts(&b, " }");
		}
	}
	buf_puts(&b, "] }");
	return buf_detach(&b);
}

static void check_first_error(const struct bad_case *c, const struct store_load *l,
			      const char *policy)
{
	ck_assert_msg(l->first_error != NULL, "%s (%s): no first error", c->file, policy);
	ck_assert_msg(l->first_error_line == c->line && l->first_error_column == c->col,
		      "%s (%s): error at %lld:%lld, expected %ld:%ld", c->file, policy,
		      (long long)l->first_error_line, (long long)l->first_error_column,
		      c->line, c->col);
	char *full = l->first_error_column_name
		? xasprintf("column \"%s\": %s", l->first_error_column_name, l->first_error)
		: xstrdup(l->first_error);
	ck_assert_msg(strcmp(full, c->message) == 0, "%s (%s): message\n  got      %s\n"
		      "  expected %s", c->file, policy, full, c->message);
	/* The column name is the one the message names. */
	if (str_starts_with(c->message, "column \""))
		ck_assert_msg(l->first_error_column_name != NULL, "%s: no column name", c->file);
	free(full);
}

static void check_bad_case(struct fx *f, const struct bad_case *c, size_t i,
			   const char *policy)
{
	char pipe[64], table[64], key[256];
	snprintf(pipe, sizeof pipe, "b%zu_%s", i, policy);
	snprintf(table, sizeof table, "t%zu_%s", i, policy);
	snprintf(key, sizeof key, "bad/%s", c->file);
	struct pipe_result r;
	struct err e = { 0 };
	int rc = fx_refresh(f, pipe, false, NULL, &r, &e);
	bool ok = strcmp(c->severity, "ok") == 0;
	bool abort_policy = strcmp(policy, "abort") == 0;
	bool cont = strcmp(policy, "continue") == 0;
	if (abort_policy && !ok) {
		ck_assert_msg(rc == -1 && e.code == ERR_PARSE, "%s (abort): refresh gave %d %s",
			      c->file, rc, err_text(&e));
		ck_assert_msg(str_ends_with(e.where, strchr(c->where, ':')), "%s: where %s",
			      c->file, e.where);
	} else {
		ck_assert_msg(rc == 0, "%s (%s): %s", c->file, policy, err_text(&e));
	}
	ck_assert_int_eq(r.files_seen, 1);
	pipe_result_free(&r);
	struct store_load *l = fx_load_of(f, pipe, key);
	long good = ok ? c->before
		: cont ? c->before + (strcmp(c->severity, "record") == 0 ? c->after : 0) : 0;
	enum load_status want = ok ? LOAD_LOADED
		: good > 0 ? LOAD_PARTIALLY_LOADED : LOAD_FAILED;
	ck_assert_msg(l->status == want, "%s (%s): status %s, expected %s", c->file, policy,
		      load_status_name(l->status), load_status_name(want));
	ck_assert_msg(l->rows_loaded == good, "%s (%s): %lld rows loaded, expected %ld",
		      c->file, policy, (long long)l->rows_loaded, good);
	long errors = ok ? 0 : abort_policy ? 1 : c->errors;
	ck_assert_msg(l->error_count == errors, "%s (%s): %lld errors, expected %ld", c->file,
		      policy, (long long)l->error_count, errors);
	if (ok)
		ck_assert_msg(l->first_error == NULL, "%s: unexpected error %s", c->file,
			      l->first_error);
	else
		check_first_error(c, l, policy);
	e = (struct err){ 0 };
	int exists = db_table_exists(fx_db(f), table, &e);
	if (exists == 1) {
		char *sql = xasprintf("SELECT count(*) FROM %s", table);
		ck_assert_msg(fx_int(f, sql) == good, "%s (%s): table holds %lld rows", c->file,
			      policy, (long long)fx_int(f, sql));
		free(sql);
	} else {
		ck_assert_msg(good == 0, "%s (%s): no table, but %ld rows", c->file, policy, good);
	}
	store_load_free(l);
}

static void t_bad_corpus(const struct backend *b)
{
	char *dir = srcdir_path("tests/data/bad");
	char *gdir = srcdir_path("tests/data/good");
	struct vec cases = VEC_INIT;
	bad_cases_read(dir, &cases);
	char *json = bad_project(&cases);
	struct fx f;
	fx_open(&f, b, json);
	free(json);
	/* The lake holds the corpus and the good files side by side. */
	struct vec sums = VEC_INIT;
	for (size_t i = 0; i < cases.len + ARRAY_LEN(GOOD_FILES); i++) {
		const char *name = i < cases.len ? ((struct bad_case *)cases.items[i])->file
						 : GOOD_FILES[i - cases.len][0];
		char *src = path_join(i < cases.len ? dir : gdir, name);
		char *key = xasprintf("bad/%s", name);
		fx_put_file(&f, key, src);
		char *sum = xmalloc(65);
		fx_checksum(&f, key, sum);
		vec_push(&sums, sum);
		free(key);
		free(src);
	}
	for (size_t p = 0; p < ARRAY_LEN(POLICIES); p++) {
		for (size_t i = 0; i < cases.len; i++)
			check_bad_case(&f, cases.items[i], i, POLICIES[p]);
		for (size_t i = 0; i < ARRAY_LEN(GOOD_FILES); i++) {
			char pipe[64], key[128];
			snprintf(pipe, sizeof pipe, "g%zu_%s", i, POLICIES[p]);
			snprintf(key, sizeof key, "bad/%s", GOOD_FILES[i][0]);
			struct pipe_result r = fx_refresh_ok(&f, pipe);
			ck_assert_int_eq(r.files_loaded, 1);
			ck_assert_msg(r.rows_loaded > 0, "%s loaded no rows", key);
			pipe_result_free(&r);
			struct store_load *l = fx_load_of(&f, pipe, key);
			ck_assert_int_eq(l->status, LOAD_LOADED);
			ck_assert_int_eq(l->error_count, 0);
			ck_assert_int_eq(l->rows_loaded, l->rows_parsed);
			store_load_free(l);
		}
	}
	/* Nothing lost, nothing changed. */
	struct lake_listing ls = { 0 };
	struct err e = { 0 };
	ck_assert_int_eq(lake_list(f.lake, "bad/", &ls, &e), 0);
	ck_assert_int_eq(ls.len, cases.len + ARRAY_LEN(GOOD_FILES));
	lake_listing_free(&ls);
	for (size_t i = 0; i < cases.len + ARRAY_LEN(GOOD_FILES); i++) {
		const char *name = i < cases.len ? ((struct bad_case *)cases.items[i])->file
						 : GOOD_FILES[i - cases.len][0];
		char *key = xasprintf("bad/%s", name);
		char now[65];
		fx_checksum(&f, key, now);
		ck_assert_msg(strcmp(now, sums.items[i]) == 0, "%s changed", key);
		free(key);
	}
	vec_free_all(&sums, free);
	bad_cases_free(&cases);
	free(dir);
	free(gdir);
	fx_close(&f);
}

#endif
