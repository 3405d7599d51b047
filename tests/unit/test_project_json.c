/*
 * test_project_json.c - the project file's JSON parser on its own: what it
 * accepts and builds, where it says each value and key is, repeated keys,
 * and every kind of syntax error at its line and column.
 */
#include "testutil.h"
#include "project/project_int.h"

#include <math.h>

/* ---- helpers ---------------------------------------------------------------- */

static struct pjson_index *parse_ok(const char *text, size_t len, cJSON **root)
{
	struct pjson_syntax syn = { 0 };
	struct pjson_index *ix = pjson_parse(text, len, root, &syn);
	ck_assert_msg(ix != NULL, "%.60s: %d:%d: %s", text, syn.at.line, syn.at.col, syn.msg);
	ck_assert_ptr_nonnull(*root);
	return ix;
}

/* The text fails with "LINE:COL: MESSAGE". */
static void assert_syntax(const char *text, size_t len, const char *want)
{
	struct pjson_syntax syn = { 0 };
	cJSON *root = (cJSON *)1;
	struct pjson_index *ix = pjson_parse(text, len, &root, &syn);
	ck_assert_msg(ix == NULL, "accepted: %s", text);
	ck_assert_ptr_null(root);
	char got[300];
	snprintf(got, sizeof got, "%d:%d: %s", syn.at.line, syn.at.col, syn.msg);
	ck_assert_msg(strcmp(got, want) == 0, "text %s\n  got  %s\n  want %s", text, got, want);
}

#define SYNTAX(text, want) assert_syntax(text, sizeof text - 1, want)

static void assert_value_at(const struct pjson_index *ix, const char *path, int line, int col)
{
	struct pjson_pos at;
	ck_assert_msg(pjson_value_at(ix, path, &at), "no value at %s", path);
	ck_assert_msg(at.line == line && at.col == col, "%s at %d:%d, want %d:%d", path,
		      at.line, at.col, line, col);
}

/* The string value of `key` in `root`. */
static const char *string_of(const cJSON *root, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
	ck_assert_msg(cJSON_IsString(v), "%s is not a string", key);
	return v->valuestring;
}

/* ---- positions -------------------------------------------------------------- */

START_TEST(positions_of_nested_values_and_keys)
{
	const char *text =
		"{\n"
		"  \"flows\": [\n"
		"    { \"name\": \"a\" },\n"
		"    { \"name\": \"b\", \"steps\": [ {\"kind\": \"lod\"} ] }\n"
		"  ]\n"
		"}\n";
	cJSON *root;
	struct pjson_index *ix = parse_ok(text, strlen(text), &root);
	assert_value_at(ix, "", 1, 1);
	assert_value_at(ix, "flows", 2, 12);
	assert_value_at(ix, "flows[0].name", 3, 15);
	assert_value_at(ix, "flows[1].steps[0].kind", 4, 40);
	struct pjson_pos at;
	ck_assert(!pjson_value_at(ix, "flows[2]", &at));
	ck_assert(pjson_key_at(ix, "flows[1].steps[0].kind", &at));
	ck_assert_int_eq(at.line, 4);
	ck_assert_int_eq(at.col, 32);
	ck_assert_int_eq(text[at.off], '"');
	ck_assert(pjson_value_at(ix, "flows[1].steps[0].kind", &at));
	ck_assert_int_eq(text[at.off], '"');
	ck_assert(!pjson_key_at(ix, "flows[1]", &at));   /* an element has no key */
	ck_assert(!pjson_key_at(ix, "", &at));
	const cJSON *flow1 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "flows"), 1);
	ck_assert_str_eq(flow1->child->valuestring, "b");
	pjson_free(ix);
	cJSON_Delete(root);
}
END_TEST

/* Columns count characters, not bytes; a byte order mark counts for
 * nothing; keys with escapes are indexed by what they say. */
START_TEST(columns_count_characters)
{
	const char *text = "\xef\xbb\xbf{ \"caf\xc3\xa9\": \"\xe2\x82\xac\", \"x\": 1,\n"
			   "  \"a\\u002eb\": 2 }";
	cJSON *root;
	struct pjson_index *ix = parse_ok(text, strlen(text), &root);
	assert_value_at(ix, "", 1, 1);
	assert_value_at(ix, "caf\xc3\xa9", 1, 11);
	assert_value_at(ix, "x", 1, 21);
	assert_value_at(ix, "a.b", 2, 15);
	struct pjson_pos at;
	ck_assert(pjson_value_at(ix, "x", &at));
	ck_assert_int_eq(text[at.off], '1');
	pjson_free(ix);
	cJSON_Delete(root);
}
END_TEST

/* ---- repeated keys ------------------------------------------------------------ */

START_TEST(repeated_keys_are_noted_and_the_first_kept)
{
	const char *text =
		"{ \"a\": 1,\n"
		"  \"b\": { \"x\": 2, \"y\": [ { \"x\": 0, \"x\": 0 } ] },\n"
		"  \"a\": 3,\n"
		"  \"a\": { \"x\": 4, \"x\": 5 } }\n";
	cJSON *root;
	struct pjson_index *ix = parse_ok(text, strlen(text), &root);
	const struct pjson_dup *dups;
	size_t n = pjson_duplicates(ix, &dups);
	/* The repeat inside the dropped third "a" is not reported: the member is gone. */
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(dups[0].path, "b.y[0].x");
	ck_assert_int_eq(dups[0].at.line, 2);
	ck_assert_int_eq(dups[0].at.col, 35);
	ck_assert_str_eq(dups[1].path, "a");
	ck_assert_str_eq(dups[1].key, "a");
	ck_assert_int_eq(dups[1].at.line, 3);
	ck_assert_int_eq(dups[1].at.col, 3);
	ck_assert_int_eq(dups[2].at.line, 4);
	ck_assert_int_eq(dups[2].at.col, 3);
	ck_assert_int_eq(cJSON_GetArraySize(root), 2);
	ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(root, "a")->valuedouble, 1);
	const cJSON *y0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "b"),
								 "y"), 0);
	ck_assert_int_eq(cJSON_GetArraySize(y0), 1);
	assert_value_at(ix, "a", 1, 8);        /* the first one's */
	assert_value_at(ix, "b.x", 2, 15);
	pjson_free(ix);
	cJSON_Delete(root);
}
END_TEST

/* ---- values ---------------------------------------------------------------- */

START_TEST(escapes_decode_including_surrogate_pairs)
{
	const char *text = "{ \"s\": \"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\","
			   " \"u\": \"\\u00e9\\u20AC\\ud83d\\ude00\","
			   " \"raw\": \"\xf0\x9f\x98\x80 \xe2\x82\xac\" }";
	cJSON *root;
	struct pjson_index *ix = parse_ok(text, strlen(text), &root);
	ck_assert_str_eq(string_of(root, "s"), "q\" b\\ s/ \b\f\n\r\t");
	ck_assert_str_eq(string_of(root, "u"), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	ck_assert_str_eq(string_of(root, "raw"), "\xf0\x9f\x98\x80 \xe2\x82\xac");
	pjson_free(ix);
	cJSON_Delete(root);
}
END_TEST

START_TEST(numbers_small_and_huge)
{
	const char *text = "[ 0, -0, 7, -12.5, 1.5e3, 2E-2, 12345678901234567890, 1e-400, "
			   "1e308, 0.1 ]";
	cJSON *root;
	struct pjson_index *ix = parse_ok(text, strlen(text), &root);
	const double want[] = { 0, 0, 7, -12.5, 1500, 0.02, 12345678901234567890.0, 0, 1e308,
				0.1 };
	ck_assert_int_eq(cJSON_GetArraySize(root), (int)ARRAY_LEN(want));
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		const cJSON *v = cJSON_GetArrayItem(root, (int)i);
		ck_assert(cJSON_IsNumber(v));
		ck_assert_double_eq(v->valuedouble, want[i]);
	}
	pjson_free(ix);
	cJSON_Delete(root);

	/* A number past a double's range is refused rather than made infinite. */
	SYNTAX("{ \"n\": 1e400 }", "1:8: this number is too large (the largest is about 1.8e308)");
	SYNTAX("[-1e999]", "1:2: this number is too large (the largest is about 1.8e308)");
	struct buf big = BUF_INIT;
	buf_puts(&big, "[");
	for (int i = 0; i < 400; i++)
		buf_putc(&big, '9');
	buf_puts(&big, "]");
	assert_syntax(buf_str(&big), big.len, "1:2: this number is too large (the largest is "
		      "about 1.8e308)");
	buf_free(&big);
}
END_TEST

START_TEST(literals_and_top_level_values)
{
	cJSON *root;
	struct pjson_index *ix = parse_ok(" [true, false, null, {}, [], \"\"] ", 33, &root);
	ck_assert(cJSON_IsTrue(cJSON_GetArrayItem(root, 0)));
	ck_assert(cJSON_IsFalse(cJSON_GetArrayItem(root, 1)));
	ck_assert(cJSON_IsNull(cJSON_GetArrayItem(root, 2)));
	ck_assert(cJSON_IsObject(cJSON_GetArrayItem(root, 3)));
	ck_assert(cJSON_IsArray(cJSON_GetArrayItem(root, 4)));
	ck_assert_str_eq(cJSON_GetArrayItem(root, 5)->valuestring, "");
	pjson_free(ix);
	cJSON_Delete(root);
	ix = parse_ok("\"just a string\"", 15, &root);
	ck_assert_str_eq(root->valuestring, "just a string");
	pjson_free(ix);
	cJSON_Delete(root);
}
END_TEST

/* ---- nesting ----------------------------------------------------------------- */

START_TEST(nesting_is_limited_at_a_thousand)
{
	struct buf t = BUF_INIT;
	for (int i = 0; i < 1000; i++)
		buf_putc(&t, '[');
	for (int i = 0; i < 1000; i++)
		buf_putc(&t, ']');
	cJSON *root;
	struct pjson_index *ix = parse_ok(buf_str(&t), t.len, &root);
	pjson_free(ix);
	cJSON_Delete(root);
	buf_reset(&t);
	for (int i = 0; i < 1001; i++)
		buf_puts(&t, "{\"a\":");
	assert_syntax(buf_str(&t), t.len, "1:5001: nested too deeply (more than 1000 objects "
		      "and arrays inside each other)");
	buf_reset(&t);
	for (int i = 0; i < 100000; i++)
		buf_putc(&t, '[');
	assert_syntax(buf_str(&t), t.len, "1:1001: nested too deeply (more than 1000 objects "
		      "and arrays inside each other)");
	buf_free(&t);
}
END_TEST

/* ---- syntax errors ---------------------------------------------------------------- */

START_TEST(structure_errors_say_what_and_where)
{
	SYNTAX("", "1:1: the file is empty; a project is a JSON object { ... }");
	SYNTAX(" \n\t ", "2:3: the file is empty; a project is a JSON object { ... }");
	SYNTAX("{\n  \"a\": 1,\n}", "2:9: trailing comma: JSON allows no \",\" before \"}\"");
	SYNTAX("[1, 2, ]", "1:6: trailing comma: JSON allows no \",\" before \"]\"");
	SYNTAX("{ \"a\": 1 \"b\": 2 }", "1:9: missing \",\" after this member");
	SYNTAX("[1 2]", "1:3: missing \",\" after this element");
	SYNTAX("{ \"a\": [1, 2 }", "1:14: \"}\" does not match the \"[\" at 1:8");
	SYNTAX("{ \"a\": 1 ]", "1:10: \"]\" does not match the \"{\" at 1:1");
	SYNTAX("{ \"a\": [\n", "2:1: unexpected end of the file: the array opened at 1:8 is "
	       "not closed");
	SYNTAX("{ \"a\": 1", "1:9: unexpected end of the file: the object opened at 1:1 is "
	       "not closed");
	SYNTAX("{ \"a\": ", "1:8: expected a value, found the end of the file");
	SYNTAX("{ \"a\" 1 }", "1:7: expected \":\" after the key, found \"1\"");
	SYNTAX("{ a: 1 }", "1:3: keys need double quotes");
	SYNTAX("{ 'a': 1 }", "1:3: keys and strings need double quotes, not single quotes");
	SYNTAX("{ \"a\": 'x' }", "1:8: strings need double quotes, not single quotes");
	SYNTAX("{ // note\n }", "1:3: JSON has no comments");
	SYNTAX("{ \"a\": 1 /* x */ }", "1:10: JSON has no comments");
	SYNTAX("{ \"a\": /* x */ 1 }", "1:8: JSON has no comments");
	SYNTAX("{ 1: 2 }", "1:3: expected a key in double quotes, found \"1\"");
	SYNTAX("{ \"a\": True }", "1:8: expected a value; text needs double quotes (true, false "
	       "and null are written in lower case)");
	SYNTAX("{ \"a\": trueish }", "1:8: expected a value; text needs double quotes (true, "
	       "false and null are written in lower case)");
	SYNTAX("{ \"a\": 1 ; }", "1:10: expected \",\" or \"}\", found \";\"");
	SYNTAX("{ \"a\": @ }", "1:8: expected a value, found \"@\"");
	SYNTAX("{} {}", "1:4: unexpected text after the end of the JSON value");
	SYNTAX("{ \"a\": \"x\xff\" }", "1:10: invalid UTF-8 byte 0xff in a string (a project "
	       "file is UTF-8)");
	SYNTAX("{ \"a\": \xc3\xa9 }", "1:8: expected a value, found byte 0xc3");
	SYNTAX("{ \"a\": 1 }\0 ", "1:11: the file holds a NUL byte; is it really a JSON text?");
}
END_TEST

START_TEST(number_errors)
{
	SYNTAX("[07]", "1:2: numbers cannot start with 0 (write 7, not 07)");
	SYNTAX("[-]", "1:2: \"-\" must be followed by a number");
	SYNTAX("[-a]", "1:2: \"-\" must be followed by a number");
	SYNTAX("[1.]", "1:2: a number needs digits after its \".\"");
	SYNTAX("[1.e5]", "1:2: a number needs digits after its \".\"");
	SYNTAX("[1e]", "1:2: a number's exponent needs digits");
	SYNTAX("[1e+]", "1:2: a number's exponent needs digits");
	SYNTAX("[+1]", "1:2: expected a value, found \"+\"");
	SYNTAX("[.5]", "1:2: expected a value, found \".\"");
	SYNTAX("[1x]", "1:3: expected \",\" or \"]\", found \"x\"");
}
END_TEST

START_TEST(string_errors)
{
	SYNTAX("{ \"a\": \"x\n\" }", "1:8: this string is not closed before the end of the line");
	SYNTAX("{ \"a\": \"x", "1:8: this string is never closed");
	SYNTAX("{ \"a\": \"x\ty\" }", "1:10: control character 0x09 inside a string (write it "
	       "as an escape such as \\t)");
	SYNTAX("{ \"a\": \"\\q\" }", "1:9: invalid escape \"\\q\" in a string (a backslash is "
	       "written \\\\)");
	SYNTAX("{ \"a\": \"\\\xc3\xa9\" }", "1:9: invalid escape in a string: byte 0xc3 after "
	       "\"\\\" (a backslash is written \\\\)");
	SYNTAX("{ \"a\": \"\\u12\" }", "1:9: \\u must be followed by four hex digits");
	SYNTAX("{ \"a\": \"\\u12g4\" }", "1:9: \\u must be followed by four hex digits");
	SYNTAX("[\"\\u0000\"]", "1:3: \\u0000 is not allowed in a string (it would end the "
	       "text there)");
	SYNTAX("[\"ok \\ud83d\"]", "1:6: unpaired surrogate \\ud83d in a string (a character "
	       "above U+FFFF is written as a pair such as \\ud83d\\ude00)");
	SYNTAX("[\"\\ud83d\\u0041\"]", "1:3: unpaired surrogate \\ud83d in a string (a "
	       "character above U+FFFF is written as a pair such as \\ud83d\\ude00)");
	SYNTAX("[\"\\ude00\"]", "1:3: unpaired surrogate \\ude00 in a string (a character "
	       "above U+FFFF is written as a pair such as \\ud83d\\ude00)");
	SYNTAX("[\"\\ud83d\\n\"]", "1:3: unpaired surrogate \\ud83d in a string (a character "
	       "above U+FFFF is written as a pair such as \\ud83d\\ude00)");
}
END_TEST

/* Each ill-formed UTF-8 sequence is refused at its first byte. */
START_TEST(invalid_utf8_in_strings)
{
	SYNTAX("[\"\x80\"]", "1:3: invalid UTF-8 byte 0x80 in a string (a project file is UTF-8)");
	SYNTAX("[\"a\xc0\xaf\"]", "1:4: invalid UTF-8 byte 0xc0 in a string (a project file is "
	       "UTF-8)");                                           /* overlong "/" */
	SYNTAX("[\"\xe0\x80\xaf\"]", "1:3: invalid UTF-8 byte 0xe0 in a string (a project file "
	       "is UTF-8)");                                        /* overlong */
	SYNTAX("[\"\xed\xa0\x80\"]", "1:3: invalid UTF-8 byte 0xed in a string (a project file "
	       "is UTF-8)");                                        /* a surrogate */
	SYNTAX("[\"\xf4\x90\x80\x80\"]", "1:3: invalid UTF-8 byte 0xf4 in a string (a project "
	       "file is UTF-8)");                                   /* above U+10FFFF */
	SYNTAX("[\"\xf5\x80\x80\x80\"]", "1:3: invalid UTF-8 byte 0xf5 in a string (a project "
	       "file is UTF-8)");
	SYNTAX("[\"\xe2\x82\"]", "1:3: invalid UTF-8 byte 0xe2 in a string (a project file is "
	       "UTF-8)");                                           /* cut short */
	SYNTAX("[\"\xe2\x82", "1:3: invalid UTF-8 byte 0xe2 in a string (a project file is "
	       "UTF-8)");                                           /* at the end */
}
END_TEST

static Suite *project_json_suite(void)
{
	Suite *s = suite_create("project_json");
	TCase *tc = tcase_create("parser");
	tcase_add_test(tc, positions_of_nested_values_and_keys);
	tcase_add_test(tc, columns_count_characters);
	tcase_add_test(tc, repeated_keys_are_noted_and_the_first_kept);
	tcase_add_test(tc, escapes_decode_including_surrogate_pairs);
	tcase_add_test(tc, numbers_small_and_huge);
	tcase_add_test(tc, literals_and_top_level_values);
	tcase_add_test(tc, nesting_is_limited_at_a_thousand);
	tcase_add_test(tc, structure_errors_say_what_and_where);
	tcase_add_test(tc, number_errors);
	tcase_add_test(tc, string_errors);
	tcase_add_test(tc, invalid_utf8_in_strings);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(project_json_suite)
