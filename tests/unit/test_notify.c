/*
 * test_notify.c - Slack notifications against a real local HTTP server.
 *
 * The test forks a tiny HTTP server on 127.0.0.1 (port 0: the kernel picks
 * one) that answers from a script (429 with Retry-After, then 500, then
 * 200, ...) and writes every request it receives to a file.  The queue
 * lives in a real control store; time moves with the fake clock.  Every
 * log record is captured to check that the webhook URL never appears.
 * Some script lines make the server echo the request's path back in its
 * answer, as some endpoints do, in part or cut short.
 */
#define _GNU_SOURCE 1           /* strcasestr */
#include "testutil.h"
#include "engine_testutil.h"
#include "notify/notify.h"

#include <pthread.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define SECRET_PATH "/services/T0000/B0000/s3cr3tT0kenXYZ"

/* ---- the server ------------------------------------------------------------------------ */
struct server {
	pid_t pid;
	int port;
	char *log;                  /* file: one line per request: "N BODY" */
};

/* What an echoing endpoint answers, from the request line "POST PATH ...":
 * "echo" the path, "echo-segment" its last segment (the token alone),
 * "echo-cut" the path after 226 bytes of padding, so that a reader who
 * keeps 256 bytes cuts the token in two. */
static void echoed_body(const char *how, const char *request_line, char *out, size_t n)
{
	const char *path = strchr(request_line, ' ');
	path = path ? path + 1 : "";
	int plen = (int)strcspn(path, " ");
	if (strcmp(how, "echo-segment") == 0) {
		const char *last = memrchr(path, '/', (size_t)plen);
		last = last ? last + 1 : path;
		snprintf(out, n, "invalid_token: %.*s was revoked", (int)(path + plen - last),
			 last);
	} else if (strcmp(how, "echo-cut") == 0) {
		snprintf(out, n, "%226s%.*s and more after it", "no such hook:", plen, path);
	} else {
		snprintf(out, n, "no_service: %.*s", plen, path);
	}
}

static void serve_one(int c, const char *const *script, int n, int *served, FILE *log)
{
	char req[8192];
	size_t len = 0;
	char *end = NULL;
	while (len < sizeof req - 1 && !(end = strstr(req, "\r\n\r\n"))) {
		ssize_t r = read(c, req + len, sizeof req - 1 - len);
		if (r <= 0)
			return;
		len += (size_t)r;
		req[len] = '\0';
	}
	if (!end)
		return;
	size_t body_at = (size_t)(end - req) + 4;
	long clen = 0;
	char *cl = strcasestr(req, "content-length:");
	if (cl)
		clen = strtol(cl + 15, NULL, 10);
	while ((long)(len - body_at) < clen && len < sizeof req - 1) {
		ssize_t r = read(c, req + len, sizeof req - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		req[len] = '\0';
	}
	const char *line = script[*served < n ? *served : n - 1];
	(*served)++;
	/* Logged before answering: once the client has its answer, the
	 * request is on record. */
	char *first_line_end = strstr(req, "\r\n");
	if (first_line_end)
		*first_line_end = '\0';
	fprintf(log, "%s %s %s\n", line, req, req + body_at);
	fflush(log);
	int status = atoi(line);
	const char *extra = strchr(line, ' ');
	const char *body = status == 200 ? "ok" : status == 404 ? "no_service" : "busy";
	char echo[512];
	if (extra && str_starts_with(extra + 1, "echo")) {
		echoed_body(extra + 1, req, echo, sizeof echo);
		body = echo;
		extra = NULL;
	}
	char resp[1024];
	int m = snprintf(resp, sizeof resp, "HTTP/1.1 %d X\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n%s%s\r\n%s", status,
			 strlen(body), extra ? extra + 1 : "", extra ? "\r\n" : "", body);
	if (write(c, resp, (size_t)m) < 0)
		return;
}

/* Script lines: "429 Retry-After: 30", "500", "200"; the last repeats. */
static struct server start_server(const char *dir, const char *const *script, int n)
{
	struct server sv = { .log = path_join(dir, "requests.log") };
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	sv.pid = fork();
	ck_assert(sv.pid >= 0);
	if (sv.pid == 0) {
		close(fds[0]);
		int s = socket(AF_INET, SOCK_STREAM, 0);
		int one = 1;
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		struct sockaddr_in a = { .sin_family = AF_INET };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 8) < 0)
			_exit(2);
		socklen_t al = sizeof a;
		getsockname(s, (struct sockaddr *)&a, &al);
		int port = ntohs(a.sin_port);
		if (write(fds[1], &port, sizeof port) != sizeof port)
			_exit(2);
		close(fds[1]);
		FILE *log = fopen(sv.log, "a");
		int served = 0;
		alarm(120);          /* never outlive the test */
		for (int i = 0; i < 100; i++) {
			int c = accept(s, NULL, NULL);
			if (c < 0)
				continue;
			serve_one(c, script, n, &served, log);
			close(c);
		}
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &sv.port, sizeof sv.port), (ssize_t)sizeof sv.port);
	close(fds[0]);
	return sv;
}

static void stop_server(struct server *sv)
{
	/* SIGKILL: the child inherited Check's handlers, which answer SIGTERM
	 * by signalling the whole test. */
	kill(sv->pid, SIGKILL);
	waitpid(sv->pid, NULL, 0);
	free(sv->log);
}

static int requests(const struct server *sv, char *last, size_t n)
{
	FILE *fp = fopen(sv->log, "r");
	if (!fp)
		return 0;
	char line[4096];
	int count = 0;
	while (fgets(line, sizeof line, fp)) {
		count++;
		if (last)
			snprintf(last, n, "%s", line);
	}
	fclose(fp);
	return count;
}

static const char *host_name(void)
{
	static char host[256];
	if (!*host)
		gethostname(host, sizeof host - 1);
	return host;
}

/* ---- log capture -------------------------------------------------------------------------- */
static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct buf captured = BUF_INIT;

static void capture_sink(const struct log_record *rec, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cap_lock);
	buf_printf(&captured, "%s\n", rec->message);
	for (size_t i = 0; i < rec->nfields; i++)
		buf_printf(&captured, " %s=%s\n", rec->fields[i].key, rec->fields[i].value);
	pthread_mutex_unlock(&cap_lock);
}

static bool captured_contains(const char *s)
{
	pthread_mutex_lock(&cap_lock);
	bool found = strstr(buf_str(&captured), s) != NULL;
	pthread_mutex_unlock(&cap_lock);
	return found;
}

#define PROJECT \
	"{ \"notifications\": {\n" \
	"    \"ops\": { \"slack_webhook_env\": \"TEST_SLACK_URL\", \"on\": [\"run_failed\"] },\n" \
	"    \"pipes\": { \"slack_webhook_env\": \"TEST_SLACK_URL\", \"on\": [\"pipe_file_failed\"] },\n" \
	"    \"unset\": { \"slack_webhook_env\": \"TEST_SLACK_UNSET\", \"on\": [\"task_suspended\"] } },\n" \
	"  \"flows\": [] }\n"

static struct fixture *open_notify(const struct server *sv)
{
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	unsetenv("TEST_SLACK_UNSET");
	char *url = xasprintf("http://127.0.0.1:%d" SECRET_PATH, sv ? sv->port : 9);
	setenv("TEST_SLACK_URL", url, 1);
	free(url);
	return fx_open(PROJECT, NULL);
}

static struct store_notification *only_message(struct fixture *fx)
{
	struct vec q = VEC_INIT;
	OK(store_notify_list(fx->store, 0, 10, &q, &E));
	ck_assert_int_eq(q.len, 1);
	struct store_notification *n = q.items[0];
	q.items[0] = NULL;
	vec_free(&q);
	return n;
}

START_TEST(retry_after_then_server_error_then_delivered_once)
{
	static const char *const script[] = { "429 Retry-After: 30", "500", "200" };
	char *dir = test_mkdtemp();
	struct server sv = start_server(dir, script, 3);
	struct fixture *fx = open_notify(&sv);
	int sink = log_add_sink(LOG_DEBUG, capture_sink, NULL);
	fake_clock_set(T0);
	/* Only the channels that want the event get it. */
	ck_assert_int_eq(notify_event(fx->store, fx->p, NOTIFY_RUN_FAILED,
				      "Run 12 of flow orders FAILED: \"boom\"", &E), 1);
	struct notify_stats st;
	OK(notify_send_due(fx->store, fx->p, 0, &st, &E));
	ck_assert_int_eq(st.retrying, 1);
	ck_assert_int_eq(requests(&sv, NULL, 0), 1);
	struct store_notification *n = only_message(fx);
	ck_assert_int_eq(n->state, NOTIFY_PENDING);
	ck_assert_int_eq(n->next_attempt, T0 + 30 * USEC_PER_SEC);   /* Retry-After, not 10 s */
	ck_assert_msg(strstr(n->last_error, "HTTP 429"), "%s", n->last_error);
	store_notify_free(n);

	fake_clock_set(T0 + 11 * USEC_PER_SEC);          /* past the plain backoff */
	OK(notify_send_due(fx->store, fx->p, 0, &st, &E));
	ck_assert_int_eq(st.sent + st.retrying + st.failed, 0);
	ck_assert_int_eq(requests(&sv, NULL, 0), 1);

	fake_clock_set(T0 + 30 * USEC_PER_SEC);
	OK(notify_send_due(fx->store, fx->p, 0, &st, &E));
	ck_assert_int_eq(st.retrying, 1);                /* 500 */
	ck_assert_int_eq(requests(&sv, NULL, 0), 2);
	n = only_message(fx);
	ck_assert_int_eq(n->next_attempt, T0 + 50 * USEC_PER_SEC);   /* 10 s * 2 */
	store_notify_free(n);

	fake_clock_set(T0 + 50 * USEC_PER_SEC);
	OK(notify_send_due(fx->store, fx->p, 0, &st, &E));
	ck_assert_int_eq(st.sent, 1);
	char last[4096];
	ck_assert_int_eq(requests(&sv, last, sizeof last), 3);
	ck_assert_msg(strstr(last, "200 POST " SECRET_PATH " HTTP/1.1 "
			     "{\"text\":\"Run 12 of flow orders FAILED: \\\"boom\\\"\\n"
			     "(project "), "%s", last);
	/* Every message names the project, the environment and the host. */
	char *context = xasprintf(", environment default, host %s)\"}", host_name());
	ck_assert_msg(strstr(last, context), "%s", last);
	free(context);
	n = only_message(fx);
	ck_assert_int_eq(n->state, NOTIFY_SENT);
	ck_assert_int_eq(n->attempts, 3);
	store_notify_free(n);

	fake_clock_set(T0 + 2 * 3600 * USEC_PER_SEC);
	OK(notify_send_due(fx->store, fx->p, 0, &st, &E));
	ck_assert_int_eq(requests(&sv, NULL, 0), 3);     /* delivered once */

	ck_assert(captured_contains("sent run_failed to channel ops"));
	ck_assert(!captured_contains(SECRET_PATH));
	ck_assert(!captured_contains("s3cr3t"));
	log_remove_sink(sink);
	fake_clock_off();
	fx_close(fx);
	stop_server(&sv);
	test_rmdir(dir);
}
END_TEST

START_TEST(client_errors_and_missing_urls_fail_for_good)
{
	static const char *const script[] = { "404" };
	char *dir = test_mkdtemp();
	struct server sv = start_server(dir, script, 1);
	struct fixture *fx = open_notify(&sv);
	int sink = log_add_sink(LOG_DEBUG, capture_sink, NULL);
	ck_assert_int_eq(notify_event(fx->store, fx->p, NOTIFY_PIPE_FILE_FAILED,
				      "orders/1.json failed", &E), 1);
	ck_assert_int_eq(notify_event(fx->store, fx->p, NOTIFY_TASK_SUSPENDED,
				      "task t suspended", &E), 1);
	struct notify_stats st;
	OK(notify_send_due(fx->store, fx->p, 0, &st, &E));
	ck_assert_int_eq(st.failed, 2);
	ck_assert_int_eq(requests(&sv, NULL, 0), 1);     /* the unset channel sent nothing */
	struct vec q = VEC_INIT;
	OK(store_notify_list(fx->store, 0, 10, &q, &E));
	ck_assert_int_eq(q.len, 2);
	for (size_t i = 0; i < q.len; i++) {
		struct store_notification *n = q.items[i];
		ck_assert_int_eq(n->state, NOTIFY_FAILED);
		ck_assert_int_eq(n->attempts, 1);
		if (str_eq(n->channel, "pipes"))
			ck_assert_msg(strstr(n->last_error, "HTTP 404: no_service"), "%s",
				      n->last_error);
		else
			ck_assert_msg(strstr(n->last_error, "TEST_SLACK_UNSET is not set"), "%s",
				      n->last_error);
		ck_assert(!strstr(n->last_error, SECRET_PATH));
	}
	store_notify_list_free(&q);
	ck_assert(!captured_contains(SECRET_PATH));
	log_remove_sink(sink);
	fx_close(fx);
	stop_server(&sv);
	test_rmdir(dir);
}
END_TEST

/* An endpoint that answers with the path it was sent (whole, its token
 * alone, or with the token cut where sluice stops reading) puts nothing of
 * the URL into the store (which the console shows) or the log. */
START_TEST(echoed_paths_are_masked_in_every_part)
{
	static const char *const script[] = { "404 echo", "400 echo-segment", "410 echo-cut" };
	char *dir = test_mkdtemp();
	struct server sv = start_server(dir, script, 3);
	struct fixture *fx = open_notify(&sv);
	int sink = log_add_sink(LOG_DEBUG, capture_sink, NULL);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(notify_event(fx->store, fx->p, NOTIFY_RUN_FAILED, "x", &E), 1);
	struct notify_stats st;
	OK(notify_send_due(fx->store, fx->p, 0, &st, &E));
	ck_assert_int_eq(st.failed, 3);
	char last[4096];
	ck_assert_int_eq(requests(&sv, last, sizeof last), 3);
	struct vec q = VEC_INIT;
	OK(store_notify_list(fx->store, 0, 10, &q, &E));
	ck_assert_int_eq(q.len, 3);
	static const char *const shown[] = {
		"HTTP 404: no_service: ****",
		"HTTP 400: invalid_token: **** was revoked",
		"HTTP 410: ",
	};
	for (size_t i = 0; i < q.len; i++) {
		struct store_notification *n = q.items[i];
		bool found = false;
		for (size_t k = 0; k < ARRAY_LEN(shown); k++)
			found |= strstr(n->last_error, shown[k]) != NULL;
		ck_assert_msg(found, "%s", n->last_error);
		ck_assert_msg(!strstr(n->last_error, "s3cr3t"), "%s", n->last_error);
		ck_assert_msg(!strstr(n->last_error, "T0000"), "%s", n->last_error);
		if (strstr(n->last_error, "HTTP 410"))
			ck_assert_msg(str_ends_with(n->last_error, "no such hook:****"), "%s",
				      n->last_error);
	}
	store_notify_list_free(&q);
	ck_assert(captured_contains("not sent: channel ops: HTTP 404"));
	ck_assert(!captured_contains("s3cr3t"));
	ck_assert(!captured_contains("T0000"));
	log_remove_sink(sink);
	fx_close(fx);
	stop_server(&sv);
	test_rmdir(dir);
}
END_TEST

START_TEST(unreachable_server_is_retried)
{
	struct fixture *fx = open_notify(NULL);     /* port 9: nobody listens */
	fake_clock_set(T0);
	ck_assert_int_eq(notify_event(fx->store, fx->p, NOTIFY_RUN_FAILED, "x", &E), 1);
	struct notify_stats st;
	OK(notify_send_due(fx->store, fx->p, 0, &st, &E));
	ck_assert_int_eq(st.retrying, 1);
	struct store_notification *n = only_message(fx);
	ck_assert_int_eq(n->state, NOTIFY_PENDING);
	ck_assert_int_eq(n->next_attempt, T0 + 10 * USEC_PER_SEC);
	ck_assert(!strstr(n->last_error, SECRET_PATH));
	store_notify_free(n);
	fake_clock_off();
	fx_close(fx);
}
END_TEST

/* A Slack webhook variable that holds a file:// URL (a typo, or someone
 * steering the sender at a local file) is refused for good: nothing is
 * read from the file, and none of it reaches the store or the log. */
START_TEST(a_file_url_is_refused_not_read)
{
	char *dir = test_mkdtemp();
	test_write_file(dir, "hook", "PRIVATE-FILE-CONTENT\n");
	struct fixture *fx = open_notify(NULL);
	char *url = xasprintf("file://%s/hook", dir);
	setenv("TEST_SLACK_URL", url, 1);
	int sink = log_add_sink(LOG_DEBUG, capture_sink, NULL);
	ck_assert_int_eq(notify_event(fx->store, fx->p, NOTIFY_RUN_FAILED, "x", &E), 1);
	struct notify_stats st;
	OK(notify_send_due(fx->store, fx->p, 0, &st, &E));
	ck_assert_int_eq(st.failed, 1);
	ck_assert_int_eq(st.retrying, 0);
	struct store_notification *n = only_message(fx);
	ck_assert_int_eq(n->state, NOTIFY_FAILED);
	ck_assert_msg(strstr(n->last_error, "file") && strstr(n->last_error, "disabled"),
		      "%s", n->last_error);
	ck_assert_msg(!strstr(n->last_error, "PRIVATE-FILE-CONTENT"), "%s", n->last_error);
	ck_assert(!captured_contains("PRIVATE-FILE-CONTENT"));
	store_notify_free(n);
	log_remove_sink(sink);
	fx_close(fx);
	free(url);
	test_rmdir(dir);
}
END_TEST

START_TEST(the_sender_thread_delivers)
{
	static const char *const script[] = { "200" };
	char *dir = test_mkdtemp();
	struct server sv = start_server(dir, script, 1);
	struct fixture *fx = open_notify(&sv);
	struct notifier *nt = notify_start(fx->url, NULL, fx->p, &E);
	ck_assert_msg(nt != NULL, "%s", E.msg);
	ck_assert_int_eq(notify_event(fx->store, fx->p, NOTIFY_RUN_FAILED, "flow any failed",
				      &E), 1);
	notify_wake(nt);
	for (int i = 0; i < 500 && requests(&sv, NULL, 0) < 1; i++)
		usleep(10000);
	ck_assert_int_eq(requests(&sv, NULL, 0), 1);
	notify_stop(nt);
	struct store_notification *n = only_message(fx);
	ck_assert_int_eq(n->state, NOTIFY_SENT);
	store_notify_free(n);
	fx_close(fx);
	stop_server(&sv);
	test_rmdir(dir);
}
END_TEST

static void raise_failure(struct fixture *fx, int run)
{
	char *text = xasprintf("Run %d of flow orders FAILED", run);
	struct notify_msg m = {
		.event = NOTIFY_RUN_FAILED, .object = "flow:orders", .run_id = run,
		.state = "FAILED", .text = text,
	};
	ck_assert_int_eq(notify_raise(fx->store, fx->p, &m, &E), 1);
	free(text);
}

static int send_now(struct fixture *fx)
{
	struct notify_stats st;
	OK(notify_send_due(fx->store, fx->p, 0, &st, &E));
	return st.sent;
}

/* Twelve failures of one flow within the window: one message with the
 * count, then one recovery; later failures within a window after a sent
 * message wait for that window's end and go as one. */
START_TEST(a_storm_is_one_message_then_a_recovery)
{
	static const char *const script[] = { "200" };
	char *dir = test_mkdtemp();
	struct server sv = start_server(dir, script, 1);
	struct fixture *fx = open_notify(&sv);
	fake_clock_set(T0);
	for (int i = 1; i <= 12; i++) {
		raise_failure(fx, i);
		fake_clock_set(T0 + i * 30 * USEC_PER_SEC);
	}
	ck_assert_int_eq(send_now(fx), 1);
	char last[4096];
	ck_assert_int_eq(requests(&sv, last, sizeof last), 1);
	ck_assert_msg(strstr(last, "flow orders failed 12 times in the last 10 minutes"),
		      "%s", last);
	ck_assert_msg(strstr(last, "The latest: Run 12 of flow orders FAILED"), "%s", last);

	ck_assert_int_eq(notify_recovered(fx->store, fx->p, "flow:orders", 13,
					  "flow orders is healthy again: run 13 completed", &E), 1);
	ck_assert_int_eq(send_now(fx), 1);
	ck_assert_int_eq(requests(&sv, last, sizeof last), 2);
	ck_assert_msg(strstr(last, "flow orders is healthy again: run 13 completed"), "%s", last);
	/* Healthy twice: said once. */
	ck_assert_int_eq(notify_recovered(fx->store, fx->p, "flow:orders", 14, "again", &E), 0);

	/* A new window: the first failure goes at once, the next three wait
	 * for its end and go as one. */
	usec_t t1 = T0 + 30 * 60 * USEC_PER_SEC;
	fake_clock_set(t1);
	raise_failure(fx, 20);
	ck_assert_int_eq(send_now(fx), 1);
	for (int i = 1; i <= 3; i++) {
		fake_clock_set(t1 + i * 60 * USEC_PER_SEC);
		raise_failure(fx, 20 + i);
		ck_assert_int_eq(send_now(fx), 0);
	}
	ck_assert_int_eq(requests(&sv, NULL, 0), 3);
	fake_clock_set(t1 + 10 * 60 * USEC_PER_SEC);
	ck_assert_int_eq(send_now(fx), 1);
	ck_assert_int_eq(requests(&sv, last, sizeof last), 4);
	ck_assert_msg(strstr(last, "flow orders failed 3 times in the last 10 minutes"),
		      "%s", last);
	fake_clock_off();
	fx_close(fx);
	stop_server(&sv);
	test_rmdir(dir);
}
END_TEST

static Suite *notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("slack");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, retry_after_then_server_error_then_delivered_once);
	tcase_add_test(tc, client_errors_and_missing_urls_fail_for_good);
	tcase_add_test(tc, echoed_paths_are_masked_in_every_part);
	tcase_add_test(tc, unreachable_server_is_retried);
	tcase_add_test(tc, a_file_url_is_refused_not_read);
	tcase_add_test(tc, the_sender_thread_delivers);
	tcase_add_test(tc, a_storm_is_one_message_then_a_recovery);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(notify_suite)
