/*
 * secrets.c - connection and lake URLs, and secrets that should not be in
 * the project file.
 *
 * Passwords never live in sluice.json: a password inside a URL or conninfo
 * is an error.  Anything else that looks secret (a password-ish key with a
 * literal value, a Slack webhook, an AWS key id, a pointer to a password
 * file) draws a warning when the file is readable by every user.  No
 * message here ever quotes the URL or the value: the key path says where.
 */
#include "project/project_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* libpq's connection keywords (PostgreSQL 18); unknown ones fail at connect. */
static const char *const libpq_keywords[] = {
	"host", "hostaddr", "port", "dbname", "user", "password", "passfile",
	"require_auth", "channel_binding", "connect_timeout", "client_encoding",
	"options", "application_name", "fallback_application_name", "keepalives",
	"keepalives_idle", "keepalives_interval", "keepalives_count",
	"tcp_user_timeout", "replication", "gssencmode", "sslmode", "sslnegotiation",
	"requiressl", "sslcompression", "sslcert", "sslkey", "sslkeylogfile",
	"sslpassword", "sslcertmode", "sslrootcert", "sslcrl", "sslcrldir", "sslsni",
	"requirepeer", "ssl_min_protocol_version", "ssl_max_protocol_version",
	"min_protocol_version", "max_protocol_version", "krbsrvname", "gsslib",
	"gssdelegation", "service", "target_session_attrs", "load_balance_hosts",
	"oauth_issuer", "oauth_client_id", "oauth_client_secret", "oauth_scope",
	"scram_client_key", "scram_server_key",
};

static const char *const secret_keywords[] = {
	"password", "sslpassword", "oauth_client_secret", "scram_client_key",
	"scram_server_key",
};

/* Why not, and where passwords go instead. */
static const char *no_passwords(const struct ld *L)
{
	return L->command_line
		? "every local user can read a command line (ps); use ~/.pgpass, "
		  "PGPASSWORD or a service file (or a connection's password_env in the "
		  "project file)"
		: "passwords never live in the project file (use password_env, "
		  "~/.pgpass, PGPASSWORD or a service file)";
}

static bool check_keyword(struct ld *L, const char *path, const char *kw, size_t n)
{
	char word[64];
	if (n >= sizeof word)
		n = sizeof word - 1;
	memcpy(word, kw, n);
	word[n] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(secret_keywords); i++) {
		if (strcmp(word, secret_keywords[i]) == 0) {
			ld_error(L, path, "a %s in the connection string is not allowed: %s",
				 word, no_passwords(L));
			return false;
		}
	}
	for (size_t i = 0; i < ARRAY_LEN(libpq_keywords); i++)
		if (strcmp(word, libpq_keywords[i]) == 0)
			return true;
	ld_error(L, path, "unknown connection keyword \"%s\"%s", word,
		 proj_suggest_text(word, libpq_keywords, ARRAY_LEN(libpq_keywords)));
	return false;
}

/* libpq conninfo: keyword = value pairs, values optionally 'quoted'. */
static bool check_conninfo(struct ld *L, const char *path, const char *s)
{
	bool ok = true;
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		const char *kw = s;
		while (*s && *s != '=' && !isspace((unsigned char)*s))
			s++;
		size_t kwlen = (size_t)(s - kw);
		while (isspace((unsigned char)*s))
			s++;
		if (*s != '=') {
			ld_error(L, path, "expected \"=\" after \"%.*s\" in the connection string",
				 (int)(kwlen > 40 ? 40 : kwlen), kw);
			return false;
		}
		ok = check_keyword(L, path, kw, kwlen) && ok;
		s++;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\'') {
			for (s++; *s && *s != '\''; s++)
				if (*s == '\\' && s[1])
					s++;
			if (*s != '\'') {
				ld_error(L, path, "a quoted value in the connection string is "
					 "never closed");
				return false;
			}
			s++;
		} else {
			for (; *s && !isspace((unsigned char)*s); s++)
				if (*s == '\\' && s[1])
					s++;
		}
	}
	return ok;
}

/* postgresql://[user[:password]@][host][:port][/dbname][?key=value&...] */
static bool check_pg_uri(struct ld *L, const char *path, const char *url)
{
	const char *rest = strstr(url, "://") + 3;
	size_t auth_len = strcspn(rest, "/?");
	const char *at = memchr(rest, '@', auth_len);
	if (at && memchr(rest, ':', (size_t)(at - rest))) {
		ld_error(L, path, "a password in the URL is not allowed: %s", no_passwords(L));
		return false;
	}
	const char *q = strchr(rest, '?');
	bool ok = true;
	while (q && *q) {
		q++;
		size_t n = strcspn(q, "=&");
		if (n && q[n] == '=')
			ok = check_keyword(L, path, q, n) && ok;
		q = strchr(q, '&');
	}
	return ok;
}

bool ld_check_connection_url(struct ld *L, const char *path, const char *url,
			  enum connection_kind *kind)
{
	*kind = CONN_POSTGRES;
	if (str_starts_with(url, "sqlite:")) {
		*kind = CONN_SQLITE;
		const char *file = url + 7;
		if (!*file) {
			ld_error(L, path, "sqlite: needs a file name (sqlite:data/source.db)");
			return false;
		}
		if (str_starts_with(file, "//")) {
			ld_error(L, path, "write sqlite:PATH, with a path relative to the project "
				 "or absolute (sqlite:data/x.db, sqlite:/srv/x.db), not sqlite://");
			return false;
		}
		return true;
	}
	if (str_starts_with(url, "postgresql://") || str_starts_with(url, "postgres://"))
		return check_pg_uri(L, path, url);
	const char *scheme = strstr(url, "://");
	if (scheme && (size_t)(scheme - url) < 20) {
		ld_error(L, path, "unsupported connection URL scheme \"%.*s\" (expected sqlite:, "
			 "postgresql:// or postgres://)", (int)(scheme - url), url);
		return false;
	}
	if (strchr(url, '='))
		return check_conninfo(L, path, url);
	ld_error(L, path, "not a connection URL (expected sqlite:PATH, postgresql://..., "
		 "postgres://... or a conninfo such as \"host=db dbname=warehouse\")");
	return false;
}

int project_check_url_option(const char *option, const char *url, struct err *e)
{
	struct project scratch = { 0 };
	struct diags d;
	diags_init(&d);
	struct ld L = { .p = &scratch, .d = &d, .command_line = true };
	enum connection_kind kind;
	int rc = 0;
	if (!ld_check_connection_url(&L, option, url, &kind)) {
		const struct diag *first = d.items.len ? d.items.items[0] : NULL;
		rc = err_at(e, ERR_INVALID, option, "%s",
			    first ? first->message : "not a connection URL");
	}
	diags_free(&d);
	return rc;
}

bool ld_check_lake_url(struct ld *L, const char *path, const char *url)
{
	if (str_starts_with(url, "file:")) {
		if (!url[5]) {
			ld_error(L, path, "file: needs a directory (file:lake)");
			return false;
		}
		return true;
	}
	if (str_starts_with(url, "s3://")) {
		const char *b = url + 5;
		size_t n = strcspn(b, "/");
		if (memchr(b, '@', n)) {
			ld_error(L, path, "credentials in the lake URL are not allowed; name "
				 "variables with access_key_env and secret_key_env");
			return false;
		}
		bool ok = n >= 3 && n <= 63;
		for (size_t i = 0; i < n && ok; i++)
			ok = islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) ||
				b[i] == '.' || b[i] == '-';
		if (!ok) {
			ld_error(L, path, "\"%.*s\" is not an S3 bucket name (3 to 63 lower-case "
				 "letters, digits, dots and hyphens)", (int)(n > 63 ? 63 : n), b);
			return false;
		}
		return true;
	}
	if (str_starts_with(url, "http://") || str_starts_with(url, "https://")) {
		const char *rest = strstr(url, "://") + 3;
		size_t n = strcspn(rest, "/?#");
		const char *at = memchr(rest, '@', n);
		if (at && memchr(rest, ':', (size_t)(at - rest))) {
			ld_error(L, path, "a password in the URL is not allowed");
			return false;
		}
		if (n == 0 || (at && at == rest + n - 1)) {
			ld_error(L, path, "the URL has no host");
			return false;
		}
		return true;
	}
	ld_error(L, path, "not a lake URL (expected file:DIR, s3://BUCKET/PREFIX, or an "
		 "http:// or https:// URL)");
	return false;
}

/* ---- secrets in a world-readable file ----------------------------------------------- */

static bool secret_key_name(const char *key)
{
	static const char *const words[] = {
		"password", "passwd", "secret", "token", "api_key", "api-key", "apikey",
		"webhook", "private_key", "credential", "authorization",
	};
	char low[128];
	size_t n = strlen(key);
	if (n >= sizeof low)
		n = sizeof low - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)key[i]);
	low[n] = '\0';
	if (str_ends_with(low, "_env"))
		return false;
	for (size_t i = 0; i < ARRAY_LEN(words); i++)
		if (strstr(low, words[i]))
			return true;
	return false;
}

static bool has_aws_key_id(const char *s)
{
	for (const char *p = s; *p; p++) {
		if (strncmp(p, "AKIA", 4) != 0 && strncmp(p, "ASIA", 4) != 0)
			continue;
		if (p > s && isalnum((unsigned char)p[-1]))
			continue;
		size_t n = 4;
		while (isupper((unsigned char)p[n]) || isdigit((unsigned char)p[n]))
			n++;
		if (n == 20)
			return true;
	}
	return false;
}

static bool names_password_file(const char *s)
{
	if (strstr(s, "passfile="))
		return true;
	const char *slash = strrchr(s, '/');
	const char *base = slash ? slash + 1 : s;
	return strcmp(base, ".pgpass") == 0 || strcmp(base, "pgpass") == 0 ||
		str_ends_with(s, ".pgpass");
}

static void check_value(struct ld *L, const char *path, const char *key, const char *v)
{
	const char *f = L->p->file;
	if (str_starts_with(v, "https://hooks.slack.com/"))
		ld_warn(L, path, "holds a Slack webhook URL, which is a secret, and %s is "
			"readable by every user; name a variable with slack_webhook_env and "
			"run chmod o-r %s", f, f);
	else if (has_aws_key_id(v))
		ld_warn(L, path, "holds what looks like an AWS access key id, and %s is "
			"readable by every user; name variables with access_key_env and "
			"secret_key_env and run chmod o-r %s", f, f);
	else if (names_password_file(v))
		ld_warn(L, path, "names a password file, and %s is readable by every user; "
			"run chmod o-r %s (or rely on PGPASSFILE or ~/.pgpass)", f, f);
	else if (key && *v && secret_key_name(key))
		ld_warn(L, path, "looks like a secret written into the file, and %s is "
			"readable by every user; keep it in an environment variable and run "
			"chmod o-r %s", f, f);
}

static void scan(struct ld *L, const cJSON *node, const char *path, const char *key)
{
	if (cJSON_IsString(node)) {
		check_value(L, path, key, node->valuestring);
		return;
	}
	if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
		return;
	/* Column notes are prose about columns named "password_hash" and such. */
	if (key && strcmp(key, "columns") == 0 && str_starts_with(path, "tables."))
		return;
	size_t i = 0;
	for (const cJSON *m = node->child; m; m = m->next, i++) {
		bool obj = cJSON_IsObject(node);
		char *sub = obj ? spec_path_key(path, m->string) : spec_path_index(path, i);
		scan(L, m, sub, obj ? m->string : key);
		free(sub);
	}
}

void ld_scan_secrets(struct ld *L)
{
	scan(L, L->p->root, "", NULL);
}
