/*
 * cmd_backfill.c - `backfill plan|start|next|approve|discard|status|compare`.
 *
 * The procedure itself lives in backfill/backfill.c; this file gives it what
 * only the layers above steps/ have: the engine, which runs the rebuild as
 * a run with trigger backfill (a live engine takes it, else an embedded
 * one runs it in the foreground, as `sluice run` does), and the notifier
 * for "backfill_waiting".  It also prints, confirms and detaches:
 *
 *   - approve and discard are destructive: they need --yes, or a yes typed
 *     at an interactive confirmation whose default is no;
 *   - `next --background` starts the step in a detached sluice process and
 *     returns at once (the console uses it and watches the store);
 *   - status and plan print everything a view needs with --json.
 *
 * Everything but plan, status and compare changes state and is refused in
 * read-only mode (CMD_MUTATES); read-only can watch a backfill, never move
 * it.
 */
#include "cmd/cmd_int.h"
#include "backfill/backfill.h"
#include "db/db.h"
#include "engine/engine.h"
#include "notify/notify.h"
#include "project/project.h"
#include "steps/steps.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FOLLOW_POLL_MS 200

/* ---- the engine, lent to the procedure ------------------------------------------------ */

struct hooks_ctx {
	struct cmd_ctx *ctx;
	bool engine_alive;
	struct engine *served;        /* started by hook_serve */
	char pool[48];
};

static int hook_submit(void *arg, const struct backfill_submit *r, int64_t *run_id,
		       struct err *e)
{
	struct hooks_ctx *h = arg;
	char detail[32], reason[96];
	snprintf(detail, sizeof detail, "%lld", (long long)r->backfill_id);
	snprintf(reason, sizeof reason, "backfill %lld: %s", (long long)r->backfill_id,
		 r->what ? r->what : "rebuild");
	struct engine_run_request req = {
		.flow = r->flow, .params = r->params, .nparams = r->nparams,
		.trigger = TRIGGER_BACKFILL, .trigger_detail = detail, .reason = reason,
		.pool = r->pool,
	};
	return engine_submit(h->ctx->store, h->ctx->project, &req, run_id, e);
}

/* A partitioned rebuild's runs: a live engine takes them; else an engine
 * here with a pool of its own, so it takes this backfill's runs only. */
static int hook_serve(void *arg, int64_t backfill_id, int workers, const char **pool,
		      struct err *e)
{
	struct hooks_ctx *h = arg;
	struct cmd_ctx *ctx = h->ctx;
	*pool = NULL;
	if (h->engine_alive || ctx->surface == SURFACE_CONSOLE)
		return 0;
	snprintf(h->pool, sizeof h->pool, "backfill_%lld", (long long)backfill_id);
	const char *pools[] = { h->pool };
	fprintf(ctx->errout, "no engine is running: running the partitions here, %d at a "
		"time\n", workers);
	struct engine_options opt = {
		.store_url = cmd_ctx_store_url(ctx), .workers = 2 * workers, .no_scheduler = true,
		.no_notifier = true, .pools = pools, .npools = 1,
	};
	h->served = engine_new(ctx->project, &opt, e);
	if (!h->served || engine_start(h->served, e) < 0) {
		engine_free(h->served);
		h->served = NULL;
		return -1;
	}
	*pool = h->pool;
	return 0;
}

static void hook_unserve(void *arg)
{
	struct hooks_ctx *h = arg;
	if (!h->served)
		return;
	struct err se;
	engine_stop(h->served, 5 * USEC_PER_SEC, &se);
	engine_free(h->served);
	h->served = NULL;
}

/* Poll the run until it is final; the first stop signal cancels it, the
 * second aborts (crash recovery settles the run, `next` runs the step
 * again). */
static int follow(struct cmd_ctx *ctx, int64_t run_id, struct engine *eng,
		  const sigset_t *set, struct err *e)
{
	int signals = 0;
	size_t printed = 0;
	for (;;) {
		struct store_run *r = store_run_get(ctx->store, run_id, e);
		if (!r)
			return -1;
		struct vec steps = VEC_INIT;
		if (store_step_list(ctx->store, run_id, &steps, NULL) == 0) {
			size_t ended = 0;
			for (size_t i = 0; i < steps.len; i++) {
				struct store_step *st = steps.items[i];
				if (st->state == STEP_RUNNING || st->state == STEP_PENDING)
					continue;
				if (ended++ < printed)
					continue;
				fprintf(ctx->errout, "  step %s: %s, %lld rows in, %lld out%s%s\n",
					st->step, step_state_name(st->state),
					(long long)st->rows_in, (long long)st->rows_out,
					st->error ? ": " : "", st->error ? st->error : "");
				printed++;
			}
			store_step_list_free(&steps);
		}
		bool done = run_state_is_terminal(r->state);
		store_run_free(r);
		if (done || (eng && engine_idle_done(eng)))
			return 0;
		int sig = cmd_wait_signal(set, FOLLOW_POLL_MS);
		if (!sig)
			continue;
		if (++signals == 1) {
			fprintf(ctx->errout, "sluice: %s: cancelling run %lld (again to abort)\n",
				strsignal(sig), (long long)run_id);
			struct err ce;
			if (engine_cancel(ctx->store, run_id, ctx->user, &ce) < 0)
				fprintf(ctx->errout, "sluice: %s\n", err_text(&ce));
		} else {
			fprintf(ctx->errout, "sluice: aborting; 'sluice backfill next' runs the "
				"rebuild again\n");
			fflush(ctx->errout);
			if (eng)
				engine_abort(eng);
			_exit(EXIT_FAILED);
		}
	}
}

static int hook_finish(void *arg, int64_t run_id, struct err *e)
{
	struct hooks_ctx *h = arg;
	struct cmd_ctx *ctx = h->ctx;
	sigset_t set, old;
	cmd_block_stop_signals(&set, &old);
	int rc;
	if (h->engine_alive || ctx->surface == SURFACE_CONSOLE) {
		rc = follow(ctx, run_id, NULL, &set, e);
	} else {
		fprintf(ctx->errout, "no engine is running: running run %lld here\n",
			(long long)run_id);
		struct engine_options opt = {
			.store_url = cmd_ctx_store_url(ctx), .workers = 2, .no_scheduler = true,
			.no_notifier = true, .only_run = run_id,
		};
		struct engine *eng = engine_new(ctx->project, &opt, e);
		rc = eng && engine_start(eng, e) == 0 ? follow(ctx, run_id, eng, &set, e) : -1;
		if (eng) {
			struct err se;
			engine_stop(eng, 5 * USEC_PER_SEC, &se);
			engine_free(eng);
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static int hook_notify(void *arg, const char *text, struct err *e)
{
	struct hooks_ctx *h = arg;
	int n = notify_event(h->ctx->store, h->ctx->project, NOTIFY_BACKFILL_WAITING, text, e);
	if (n > 0 && !h->engine_alive) {
		/* No engine's notifier is there to send it. */
		struct err ne;
		if (notify_send_due(h->ctx->store, h->ctx->project, 20, NULL, &ne) < 0)
			fprintf(h->ctx->errout, "sluice: notifications: %s\n", err_text(&ne));
	}
	return n < 0 ? -1 : 0;
}

static void progress_line(void *arg, const char *line)
{
	struct cmd_ctx *ctx = arg;
	fprintf(ctx->errout, "%s\n", line);
	fflush(ctx->errout);
}

struct env_holder {
	struct backfill_env env;
	struct backfill_hooks hooks;
	struct hooks_ctx hctx;
	struct store_options sopt;
};

static int make_env(struct cmd_ctx *ctx, struct env_holder *h, bool with_engine,
		    struct err *e)
{
	memset(h, 0, sizeof *h);
	h->sopt.read_only = ctx->read_only;
	h->hctx.ctx = ctx;
	if (with_engine && engine_alive(ctx->store, 0, &h->hctx.engine_alive, e) < 0)
		return -1;
	h->hooks = (struct backfill_hooks){ hook_submit, hook_finish, hook_notify, hook_serve,
					    hook_unserve, &h->hctx };
	h->env = (struct backfill_env){
		.project = ctx->project, .store = ctx->store, .store_url = cmd_ctx_store_url(ctx),
		.store_opt = &h->sopt, .by = ctx->user, .progress = progress_line,
		.progress_arg = ctx, .hooks = with_engine ? &h->hooks : NULL,
	};
	return 0;
}

/* ---- arguments ---------------------------------------------------------------------------- */

static void free_kv(struct project_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

/* A command on one flow's backfill: FLOW and, for plan and start, the
 * NAME=VALUE parameters after it. */
struct flow_args {
	const char *flow;
	struct project_kv *kv;
	size_t nkv;
};

/* EXIT_OK (free with flow_args_free), or the usage error with nothing
 * left to free. */
static int parse_flow_args(struct flow_args *a, const struct cmd_args *args,
			   struct err *e)
{
	a->flow = args->positional.items[0];
	a->nkv = 0;
	size_t n = args->positional.len - 1;
	a->kv = xcalloc(n ? n : 1, sizeof *a->kv);
	for (size_t i = 0; i < n; i++) {
		const char *text = args->positional.items[i + 1];
		const char *eq = strchr(text, '=');
		if (!eq || eq == text) {
			free_kv(a->kv, a->nkv);
			return cmd_usage_error(args->entry, e,
					       "parameter '%s' is not NAME=VALUE", text);
		}
		a->kv[i].key = xstrndup(text, (size_t)(eq - text));
		a->kv[i].value = xstrdup(eq + 1);
		a->nkv = i + 1;
	}
	return EXIT_OK;
}

static void flow_args_free(struct flow_args *a)
{
	free_kv(a->kv, a->nkv);
}

static int exit_for(const struct err *e)
{
	switch (e->code) {
	case ERR_NOTFOUND: return EXIT_USAGE;
	case ERR_READONLY: return EXIT_READONLY;
	case ERR_CANCELLED: return EXIT_CANCELLED;
	default: return EXIT_FAILED;
	}
}

/* ---- plan ------------------------------------------------------------------------------------ */

static void print_notes(struct cmd_ctx *ctx, const cJSON *plan, const char *list,
			const char *label)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(plan, list))
		fprintf(ctx->out, "  %s: %s\n", label, v->valuestring);
}

static const char *js(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static long long jnum(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

static void print_plan(struct cmd_ctx *ctx, const cJSON *plan)
{
	fprintf(ctx->out, "backfill plan for flow %s\n", js(plan, "flow"));
	const cJSON *t;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(plan, "targets")) {
		struct buf key = BUF_INIT;
		const cJSON *k;
		cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(t, "key"))
			buf_printf(&key, "%s%s", key.len ? ", " : "", k->valuestring);
		const cJSON *rows = cJSON_GetObjectItemCaseSensitive(t, "rows");
		fprintf(ctx->out, "  rebuild: %s on %s as %s (%s, key %s%s%s)", js(t, "table"),
			js(t, "connection"), js(t, "backfill_table"), js(t, "mode"),
			key.len ? buf_str(&key) : "none", key.len ? " from the " : "",
			key.len ? js(t, "key_from") : "");
		if (cJSON_IsNumber(rows))
			fprintf(ctx->out, "; %lld rows now\n", (long long)rows->valuedouble);
		else
			fprintf(ctx->out, "; does not exist yet\n");
		buf_free(&key);
	}
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(plan, "sources")) {
		const cJSON *rows = cJSON_GetObjectItemCaseSensitive(t, "rows");
		fprintf(ctx->out, "  read: %s on %s via %s (step %s): ",
			js(t, "table") ? js(t, "table") : "rows", js(t, "connection"),
			js(t, "via"), js(t, "step"));
		if (cJSON_IsNumber(rows))
			fprintf(ctx->out, "%lld rows\n", (long long)rows->valuedouble);
		else
			fprintf(ctx->out, "not there\n");
	}
	fprintf(ctx->out, "  rows to read: %lld\n", jnum(plan, "rows_planned"));
	bool any = false;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(plan, "tasks")) {
		bool suspend = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "suspend"));
		fprintf(ctx->out, "  %s: task %s (%s)\n", suspend ? "suspend" : "leave",
			js(t, "task"), js(t, "state"));
		any = true;
	}
	if (!any)
		fprintf(ctx->out, "  suspend: no task triggers this flow\n");
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(plan, "steps"))
		fprintf(ctx->out, "  step %s (%s): %s\n", js(t, "step"), js(t, "kind"),
			js(t, "backfill"));
	print_notes(ctx, plan, "warnings", "warning");
	print_notes(ctx, plan, "problems", "problem");
}

static int exec_plan(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	struct flow_args a;
	int rc = parse_flow_args(&a, args, e);
	if (rc != EXIT_OK)
		return rc;
	struct env_holder h;
	make_env(ctx, &h, false, e);
	cJSON *plan = backfill_plan(&h.env, a.flow, a.kv, a.nkv, e);
	if (!plan) {
		rc = exit_for(e);
	} else {
		if (args->format == CMD_FORMAT_JSON)
			cmd_json_print(ctx->out, plan);
		else
			print_plan(ctx, plan);
		int problems = cJSON_GetArraySize(
			cJSON_GetObjectItemCaseSensitive(plan, "problems"));
		if (problems > 0) {
			err_set(e, ERR_INVALID, "flow %s cannot be backfilled as it stands "
				"(%d problem%s)", a.flow, problems, problems == 1 ? "" : "s");
			rc = EXIT_FAILED;
		}
		cJSON_Delete(plan);
	}
	flow_args_free(&a);
	return rc;
}

/* ---- start and next ---------------------------------------------------------------------------- */

/* ", 480 rows written, 500 deleted first": what a partition's run wrote
 * and what its loads' replacement of the partition deleted before. */
static void print_partition_rows(struct cmd_ctx *ctx, const cJSON *p, const char *written)
{
	if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(p, written)))
		return;
	fprintf(ctx->out, ", %lld rows written", jnum(p, written));
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(p, "rows_deleted")))
		fprintf(ctx->out, ", %lld deleted first", jnum(p, "rows_deleted"));
	else
		fputs(" (rows deleted not recorded)", ctx->out);
}

/* The partitions of a plan or a status: a line of letters (the state of
 * each, in the order they run), the counts, and with `each` one line a
 * partition. */
static void print_partitions(struct cmd_ctx *ctx, const cJSON *parts, bool each)
{
	if (!cJSON_IsObject(parts))
		return;
	fprintf(ctx->out, "  partitions %s to %s by %s (%s), reprocess %s, %lld at a time%s\n",
		js(parts, "from"), js(parts, "to"), js(parts, "param"), js(parts, "grain"),
		js(parts, "reprocess"), jnum(parts, "max_active"),
		cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(parts, "backwards"))
		? ", newest first" : "");
	const cJSON *p, *list = cJSON_GetObjectItemCaseSensitive(parts, "list");
	cJSON_ArrayForEach(p, list) {
		if (!each)
			break;
		const char *shown = js(p, "shown");
		if (shown && jnum(p, "run_id")) {
			fprintf(ctx->out, "    %-14s %-10s run %lld", js(p, "key"), shown,
				jnum(p, "run_id"));
			print_partition_rows(ctx, p, "rows_out");
			fprintf(ctx->out, "%s%s\n", js(p, "error") ? ": " : "",
				js(p, "error") ? js(p, "error") : "");
		} else if (shown)
			fprintf(ctx->out, "    %-14s %-10s %s\n", js(p, "key"), shown,
				js(p, "why") ? js(p, "why") : "");
		else
			fprintf(ctx->out, "    %-14s %-5s %s\n", js(p, "key"), js(p, "action"),
				js(p, "why"));
	}
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(parts, "counts");
	if (cJSON_IsObject(counts)) {
		fputs("  partition states:", ctx->out);
		const cJSON *c;
		cJSON_ArrayForEach(c, counts)
			fprintf(ctx->out, " %s %lld", c->string, (long long)c->valuedouble);
		fputc('\n', ctx->out);
	} else {
		fprintf(ctx->out, "  partitions to run: %lld, to skip: %lld\n",
			jnum(parts, "to_run"), jnum(parts, "to_skip"));
	}
	if (js(parts, "control"))
		fprintf(ctx->out, "  %s by %s\n", js(parts, "control"), js(parts, "control_by"));
}

/* --from/--to and the rest; 1 a range was given, 0 none, -1 usage error. */
static int parse_range(const struct cmd_args *args, struct backfill_range *r,
		       struct err *e)
{
	memset(r, 0, sizeof *r);
	r->from = cmd_opt_value(args, "--from");
	r->to = cmd_opt_value(args, "--to");
	const char *rp = cmd_opt_value(args, "--reprocess");
	const char *ma = cmd_opt_value(args, "--max-active");
	r->backwards = cmd_opt_flag(args, "--backwards");
	bool any = r->from || r->to || rp || ma || r->backwards;
	if (!any)
		return 0;
	if (!r->from || !r->to) {
		cmd_usage_error(args->entry, e, "a partitioned backfill needs both --from and "
				"--to (the first and last partition)");
		return -1;
	}
	if (rp && !backfill_reprocess_parse(rp, &r->reprocess)) {
		cmd_usage_error(args->entry, e, "--reprocess is none, failed or all, not '%s'", rp);
		return -1;
	}
	int64_t n = 1;
	if (ma && (!str_to_i64(ma, &n) || n < 1 || n > 100)) {
		cmd_usage_error(args->entry, e, "--max-active wants a number from 1 to 100");
		return -1;
	}
	r->max_active = (int)n;
	return 1;
}

static int dry_run(struct cmd_ctx *ctx, const struct cmd_args *args, struct env_holder *h,
		   const struct flow_args *a, const struct backfill_range *range, struct err *e)
{
	cJSON *plan = range ? backfill_plan_range(&h->env, a->flow, a->kv, a->nkv, range, e)
			    : backfill_plan(&h->env, a->flow, a->kv, a->nkv, e);
	if (!plan)
		return exit_for(e);
	if (args->format == CMD_FORMAT_JSON) {
		cmd_json_print(ctx->out, plan);
	} else {
		print_plan(ctx, plan);
		print_partitions(ctx, cJSON_GetObjectItemCaseSensitive(plan, "partitions"), true);
	}
	int problems = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(plan, "problems"));
	cJSON_Delete(plan);
	if (problems > 0) {
		err_set(e, ERR_INVALID, "flow %s cannot be backfilled as planned (%d problem%s)",
			a->flow, problems, problems == 1 ? "" : "s");
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int exec_start(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	struct flow_args a;
	int rc = parse_flow_args(&a, args, e);
	if (rc != EXIT_OK)
		return rc;
	struct backfill_range range;
	int ranged = parse_range(args, &range, e);
	struct env_holder h;
	make_env(ctx, &h, false, e);
	int64_t id = 0;
	if (ranged < 0)
		rc = EXIT_USAGE;
	else if (cmd_opt_flag(args, "--dry-run"))
		rc = dry_run(ctx, args, &h, &a, ranged ? &range : NULL, e);
	else if (backfill_start_range(&h.env, a.flow, a.kv, a.nkv, ranged ? &range : NULL, &id,
				      e) < 0)
		rc = exit_for(e);
	else
		fprintf(ctx->out, "backfill %lld of flow %s: planned; run 'sluice backfill "
			"next %s' to suspend its tasks\n", (long long)id, a.flow, a.flow);
	flow_args_free(&a);
	return rc;
}

/* ---- pause, resume, cancel --------------------------------------------------------------- */

static int cancel_run(void *arg, int64_t run_id, struct err *e)
{
	struct cmd_ctx *ctx = arg;
	return engine_cancel(ctx->store, run_id, ctx->user, e);
}

static int exec_control(struct cmd_ctx *ctx, const struct cmd_args *args,
			enum backfill_control what, struct err *e)
{
	const char *flow = args->positional.items[0];
	struct env_holder h;
	make_env(ctx, &h, false, e);
	if (backfill_control(&h.env, flow, what, cancel_run, ctx, e) < 0)
		return exit_for(e);
	static const char *const said[] = {
		"paused: no new partition runs; those running finish",
		"resumed", "cancelled: its partition runs are being cancelled; discard it next",
	};
	fprintf(ctx->out, "backfill of flow %s %s\n", flow, said[what]);
	return EXIT_OK;
}

static int exec_pause(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	return exec_control(ctx, args, BACKFILL_PAUSE, e);
}

static int exec_cancel(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	return exec_control(ctx, args, BACKFILL_CANCEL, e);
}

static int exec_next(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e);

/* Lift the pause, then go on as 'next' does. */
static int exec_resume(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	int rc = exec_control(ctx, args, BACKFILL_RESUME, e);
	return rc == EXIT_OK ? exec_next(ctx, args, e) : rc;
}

/* argv for the same sluice, same project, environment and store. */
static char **background_argv(struct cmd_ctx *ctx, const char *flow, const char *samples)
{
	struct vec v = VEC_INIT;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = '\0';
	vec_push(&v, xstrdup(n > 0 ? exe : "sluice"));
	vec_push(&v, xstrdup("--project"));
	vec_push(&v, xstrdup(ctx->project_file));
	if (ctx->env) {
		vec_push(&v, xstrdup("--env"));
		vec_push(&v, xstrdup(ctx->env));
	}
	if (ctx->control_url) {
		vec_push(&v, xstrdup("--control"));
		vec_push(&v, xstrdup(ctx->control_url));
	}
	const char *tail[] = { "backfill", "next", flow };
	for (size_t i = 0; i < ARRAY_LEN(tail); i++)
		vec_push(&v, xstrdup(tail[i]));
	if (samples) {
		vec_push(&v, xstrdup("--samples"));
		vec_push(&v, xstrdup(samples));
	}
	vec_push(&v, NULL);
	return (char **)v.items;
}

/* A detached process (its own session, output to a log file beside the
 * control store) does the step; we return once it is started. */
static int next_in_background(struct cmd_ctx *ctx, const char *flow, const char *samples,
			      struct err *e)
{
	char **argv = background_argv(ctx, flow, samples);
	char *dir = path_join(ctx->project->dir, ".sluice");
	mkdir_p(dir, 0700, NULL);
	char *name = xasprintf("backfill-%s.log", flow);
	char *logp = path_join(dir, name);
	free(name);
	free(dir);
	int logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int pfd[2] = { -1, -1 };
	int rc = -1;
	if (logfd < 0 || nullfd < 0 || pipe(pfd) < 0 ||
	    fcntl(pfd[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(pfd[1], F_SETFD, FD_CLOEXEC) < 0) {
		err_set(e, ERR_IO, "cannot start the background process: %s", strerror(errno));
		goto out;
	}
	pid_t child = fork();
	if (child == 0) {
		/* Only async-signal-safe calls until exec: the caller may have threads. */
		setsid();
		pid_t grand = fork();
		if (grand != 0) {
			if (write(pfd[1], &grand, sizeof grand) < 0)
				_exit(1);
			_exit(grand > 0 ? 0 : 1);
		}
		dup2(nullfd, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (child < 0) {
		err_set(e, ERR_IO, "cannot start the background process: %s", strerror(errno));
		goto out;
	}
	close(pfd[1]);
	pfd[1] = -1;
	pid_t grand = -1;
	if (read(pfd[0], &grand, sizeof grand) != (ssize_t)sizeof grand)
		grand = -1;
	int status = 0;
	waitpid(child, &status, 0);
	if (grand <= 0) {
		err_set(e, ERR_IO, "the background process did not start");
		goto out;
	}
	fprintf(ctx->out, "backfill of flow %s: the next step runs in process %ld; follow it "
		"with 'sluice backfill status %s' (output in %s)\n", flow, (long)grand, flow, logp);
	rc = 0;
out:
	for (int i = 0; i < 2; i++)
		if (pfd[i] >= 0)
			close(pfd[i]);
	if (logfd >= 0)
		close(logfd);
	if (nullfd >= 0)
		close(nullfd);
	free(logp);
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
	return rc;
}

static void print_where(struct cmd_ctx *ctx, struct env_holder *h, const char *flow)
{
	struct err e = { 0 };
	cJSON *st = backfill_status(&h->env, flow, &e);
	if (!st)
		return;
	fprintf(ctx->out, "backfill %lld of flow %s: step %s %s; %s\n", jnum(st, "id"), flow,
		js(st, "step"), js(st, "state"),
		js(cJSON_GetObjectItemCaseSensitive(st, "next"), "text"));
	cJSON_Delete(st);
}

static int exec_next(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	struct flow_args a;
	int rc = parse_flow_args(&a, args, e);
	if (rc != EXIT_OK)
		return rc;
	int64_t samples = 0;
	const char *sv = cmd_opt_value(args, "--samples");
	if (sv && (!str_to_i64(sv, &samples) || samples < 1 || samples > 100)) {
		rc = cmd_usage_error(args->entry, e, "--samples wants a number from 1 to 100");
	} else if (cmd_opt_flag(args, "--background")) {
		rc = next_in_background(ctx, a.flow, sv, e) < 0 ? EXIT_FAILED : EXIT_OK;
	} else {
		struct env_holder h;
		if (make_env(ctx, &h, true, e) < 0 ||
		    backfill_next(&h.env, a.flow, (int)samples, e) < 0)
			rc = exit_for(e);
		else
			print_where(ctx, &h, a.flow);
	}
	flow_args_free(&a);
	return rc;
}

/* ---- approve and discard ----------------------------------------------------------------------- */

/* --yes, or an interactive yes (default no).  1 confirmed, 0 not. */
static int confirmed(struct cmd_ctx *ctx, const struct cmd_args *args,
		     const char *question, struct err *e)
{
	const struct cmd_entry *self = args->entry;
	if (cmd_opt_flag(args, "--yes"))
		return 1;
	if (ctx->surface == SURFACE_CONSOLE || !isatty(STDIN_FILENO)) {
		cmd_usage_error(self, e, "%s changes tables: confirm with --yes", self->name);
		return 0;
	}
	fprintf(ctx->errout, "%s [y/N] ", question);
	fflush(ctx->errout);
	char line[32] = "";
	if (!fgets(line, sizeof line, stdin))
		line[0] = '\0';
	str_trim(line);
	if (strcmp(line, "y") == 0 || strcmp(line, "Y") == 0 || strcmp(line, "yes") == 0)
		return 1;
	err_set(e, ERR_CANCELLED, "not confirmed: nothing changed");
	return 0;
}

static char *question_for(struct cmd_ctx *ctx, const char *flow, bool approve)
{
	struct env_holder h;
	struct err e = { 0 };
	make_env(ctx, &h, false, &e);
	cJSON *st = backfill_status(&h.env, flow, &e);
	struct buf q = BUF_INIT;
	buf_printf(&q, "%s backfill %lld of flow %s", approve ? "Approve" : "Discard",
		   st ? jnum(st, "id") : 0LL, flow);
	const cJSON *t;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(
				   cJSON_GetObjectItemCaseSensitive(st, "plan"), "targets")) {
		if (approve)
			buf_printf(&q, ", swapping %s in for %s (kept as %s)",
				   js(t, "backfill_table"), js(t, "table"), js(t, "old_table"));
		else
			buf_printf(&q, ", dropping %s", js(t, "backfill_table"));
	}
	buf_puts(&q, "?");
	cJSON_Delete(st);
	return buf_detach(&q);
}

static int exec_decide(struct cmd_ctx *ctx, const struct cmd_args *args, bool approve,
		       struct err *e)
{
	struct flow_args a;
	int rc = parse_flow_args(&a, args, e);
	if (rc != EXIT_OK)
		return rc;
	char *q = question_for(ctx, a.flow, approve);
	int yes = confirmed(ctx, args, q, e);
	free(q);
	if (!yes) {
		rc = e->code == ERR_CANCELLED ? EXIT_CANCELLED : EXIT_USAGE;
	} else {
		struct env_holder h;
		make_env(ctx, &h, false, e);
		bool force = cmd_opt_flag(args, "--force");
		int r = approve ? backfill_approve(&h.env, a.flow, force, e)
				: backfill_discard(&h.env, a.flow, e);
		if (r < 0)
			rc = exit_for(e);
		else
			print_where(ctx, &h, a.flow);
	}
	flow_args_free(&a);
	return rc;
}

static int exec_approve(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	return exec_decide(ctx, args, true, e);
}

static int exec_discard(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	return exec_decide(ctx, args, false, e);
}

/* ---- status ----------------------------------------------------------------------------------------- */

static void print_bar(struct cmd_ctx *ctx, double f)
{
	int width = 30, fill = (int)(f * width + 0.5);
	fputs("[", ctx->out);
	for (int i = 0; i < width; i++)
		fputc(i < fill ? '#' : '.', ctx->out);
	fprintf(ctx->out, "] %3d%%", (int)(f * 100 + 0.5));
}

static void print_value(struct cmd_ctx *ctx, const cJSON *v)
{
	if (cJSON_IsString(v))
		fprintf(ctx->out, "%s", v->valuestring);
	else if (cJSON_IsNull(v))
		fprintf(ctx->out, "NULL");
	else
		fprintf(ctx->out, "(no such column)");
}

static void print_samples(struct cmd_ctx *ctx, const cJSON *table)
{
	const cJSON *samples = cJSON_GetObjectItemCaseSensitive(table, "samples");
	static const char *const kinds[] = { "only_current", "only_backfill", "changed" };
	for (size_t k = 0; k < ARRAY_LEN(kinds); k++) {
		const cJSON *s;
		cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(samples, kinds[k])) {
			fprintf(ctx->out, "      %s", kinds[k]);
			const cJSON *kv;
			cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(s, "key")) {
				fprintf(ctx->out, " %s=", kv->string);
				print_value(ctx, kv);
			}
			fputc(':', ctx->out);
			const cJSON *cur = cJSON_GetObjectItemCaseSensitive(s, "current");
			const cJSON *bf = cJSON_GetObjectItemCaseSensitive(s, "backfill");
			const cJSON *changed = cJSON_GetObjectItemCaseSensitive(s, "changed");
			const cJSON *row = cur ? cur : bf;
			const cJSON *walk = changed ? changed : row;
			const cJSON *c;
			cJSON_ArrayForEach(c, walk) {
				const char *col = changed ? c->valuestring : c->string;
				if (changed) {
					fprintf(ctx->out, " *%s: ", col);
					print_value(ctx, cJSON_GetObjectItemCaseSensitive(cur, col));
					fputs(" -> ", ctx->out);
					print_value(ctx, cJSON_GetObjectItemCaseSensitive(bf, col));
					fputc(';', ctx->out);
				} else {
					fprintf(ctx->out, " %s=", col);
					print_value(ctx, c);
				}
			}
			fputc('\n', ctx->out);
		}
	}
}

static void print_compare(struct cmd_ctx *ctx, const cJSON *cmp)
{
	const cJSON *t;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(cmp, "tables")) {
		fprintf(ctx->out, "  compare %s with %s: %lld rows now, %lld rebuilt; "
			"only now %lld, only rebuilt %lld, changed %lld, unchanged %lld; "
			"score %.4f%s\n", js(t, "table"), js(t, "backfill_table"),
			jnum(t, "rows_current"), jnum(t, "rows_backfill"), jnum(t, "only_current"),
			jnum(t, "only_backfill"), jnum(t, "changed"), jnum(t, "unchanged"),
			cJSON_GetObjectItemCaseSensitive(t, "score")->valuedouble,
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "identical"))
			? " (identical)" : "");
		const cJSON *c;
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(t, "columns")) {
			const char *status = js(c, "status");
			if (jnum(c, "changed") == 0 && str_eq(status, "same"))
				continue;
			fprintf(ctx->out, "    column %s: %lld changed%s%s\n", js(c, "name"),
				jnum(c, "changed"), str_eq(status, "same") ? "" : ", ",
				str_eq(status, "same") ? "" : status);
		}
		print_samples(ctx, t);
	}
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(cmp, "partitions")) {
		fprintf(ctx->out, "  partition %s: run %lld %s", js(t, "key"), jnum(t, "run_id"),
			js(t, "state") ? js(t, "state") : "-");
		print_partition_rows(ctx, t, "rows_written");
		const cJSON *c;
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(t, "tables"))
			fprintf(ctx->out, "; %s %lld rows now, %lld rebuilt", js(c, "table"),
				jnum(c, "rows_current"), jnum(c, "rows_backfill"));
		fputc('\n', ctx->out);
	}
}

static void print_status(struct cmd_ctx *ctx, const cJSON *st)
{
	fprintf(ctx->out, "backfill %lld of flow %s: step %s %s\n", jnum(st, "id"),
		js(st, "flow"), js(st, "step"), js(st, "state"));
	fprintf(ctx->out, "  %s\n", js(cJSON_GetObjectItemCaseSensitive(st, "next"), "text"));
	if (js(st, "error"))
		fprintf(ctx->out, "  error: %s\n", js(st, "error"));
	fprintf(ctx->out, "  started by %s at %s; last change %s\n", js(st, "created_by"),
		js(st, "created"), js(st, "updated"));
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(st, "working");
	if (cJSON_IsObject(w))
		fprintf(ctx->out, "  working: process %s since %s%s\n", js(w, "process"),
			js(w, "since"), cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(w, "alive"))
			? " (gone: 'next' runs the step again)" : "");
	fputs("  steps:", ctx->out);
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(st, "steps"))
		fprintf(ctx->out, " %s[%s]", js(s, "step"), js(s, "status"));
	fputc('\n', ctx->out);
	const cJSON *rb = cJSON_GetObjectItemCaseSensitive(st, "rebuild");
	if (jnum(rb, "run_id")) {
		fprintf(ctx->out, "  rebuild: run %lld %s, ", jnum(rb, "run_id"), js(rb, "run_state"));
		print_bar(ctx, cJSON_GetObjectItemCaseSensitive(rb, "fraction")->valuedouble);
		fprintf(ctx->out, ", %lld of %lld rows read, %lld written, %lld of %lld steps\n",
			jnum(rb, "rows_read"), jnum(rb, "rows_planned"), jnum(rb, "rows_written"),
			jnum(rb, "steps_done"), jnum(rb, "steps_total"));
		const cJSON *rs;
		int n = 0;
		cJSON_ArrayForEach(rs, cJSON_GetObjectItemCaseSensitive(rb, "steps"))
			fprintf(ctx->out, "%s%s %s", n++ ? ", " : "    run steps: ",
				js(rs, "step"), js(rs, "state"));
		if (n)
			fputc('\n', ctx->out);
	}
	print_partitions(ctx, cJSON_GetObjectItemCaseSensitive(st, "partitions"), true);
	const cJSON *val = cJSON_GetObjectItemCaseSensitive(st, "validation");
	if (cJSON_IsObject(val)) {
		const cJSON *c;
		int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(val, "checks"));
		fprintf(ctx->out, "  validation%s: %d check%s, %lld failed (error), %lld failed "
			"(warn)\n", str_eq(js(val, "from"), "rebuild") ? " (the rebuild failed on "
			"these)" : "", n, n == 1 ? "" : "s", jnum(val, "failed_errors"),
			jnum(val, "failed_warnings"));
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(val, "checks"))
			if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "passed")))
				fprintf(ctx->out, "    %s%s%s %s: %lld violation%s (%s)\n",
					js(c, "partition") ? js(c, "partition") : "",
					js(c, "partition") ? " " : "", js(c, "step"),
					js(c, "check"), jnum(c, "violations"),
					jnum(c, "violations") == 1 ? "" : "s", js(c, "severity"));
	}
	const cJSON *cmp = cJSON_GetObjectItemCaseSensitive(st, "compare");
	if (cJSON_IsObject(cmp))
		print_compare(ctx, cmp);
}

static void print_list(FILE *fp, enum cmd_format format, const cJSON *list)
{
	static const int widths[] = { -6, -24, -9, -10, 0 };
	struct cmd_table t = { .ncols = 5, .format = format, .widths = widths };
	cmd_table_add(&t, "ID", "FLOW", "STEP", "STATE", "UPDATED");
	const cJSON *b;
	cJSON_ArrayForEach(b, list) {
		char id[24];
		snprintf(id, sizeof id, "%lld", jnum(b, "id"));
		cmd_table_add(&t, id, js(b, "flow"), js(b, "step"), js(b, "state"),
			      js(b, "updated"));
	}
	cmd_table_print(fp, &t);
}

static int exec_status(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	int rc = EXIT_OK;
	bool json = args->format == CMD_FORMAT_JSON;
	struct env_holder h;
	make_env(ctx, &h, false, e);
	if (args->positional.len == 0) {
		cJSON *list = backfill_status_list(&h.env, 50, e);
		if (!list)
			rc = exit_for(e);
		else if (json)
			cmd_json_print(ctx->out, list);
		else if (cJSON_GetArraySize(list) == 0 && args->format != CMD_FORMAT_CSV)
			fprintf(ctx->out, "no backfills\n");
		else
			print_list(ctx->out, args->format, list);
		cJSON_Delete(list);
	} else {
		const char *flow = args->positional.items[0];
		if (args->format == CMD_FORMAT_CSV) {
			rc = cmd_usage_error(args->entry, e, "one backfill's status has no "
					     "csv output (the list without FLOW has)");
		} else if (!project_flow(ctx->project, flow)) {
			err_set(e, ERR_NOTFOUND, "no flow named \"%s\" in the project", flow);
			rc = EXIT_USAGE;
		} else {
			cJSON *st = backfill_status(&h.env, flow, e);
			if (!st)
				rc = exit_for(e);
			else if (json)
				cmd_json_print(ctx->out, st);
			else
				print_status(ctx, st);
			cJSON_Delete(st);
		}
	}
	return rc;
}

static int exec_show_backfills(struct cmd_ctx *ctx, const struct cmd_args *args,
			       struct err *e)
{
	return exec_status(ctx, args, e);   /* declared without a FLOW */
}

/* ---- compare any two tables ---------------------------------------------------------------------------- */

static int exec_compare(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	const struct cmd_entry *self = args->entry;
	int rc = EXIT_OK;
	int64_t samples = 0;
	const char *sv = cmd_opt_value(args, "--samples");
	const char *keys = cmd_opt_value(args, "--key");
	struct vec key = VEC_INIT;
	if (keys)
		str_split(keys, ",", &key);
	if (key.len == 0)
		rc = cmd_usage_error(self, e, "--key names the key columns (a,b)");
	else if (sv && (!str_to_i64(sv, &samples) || samples < 1 || samples > 100))
		rc = cmd_usage_error(self, e, "--samples wants a number from 1 to 100");
	struct step_conns *conns = NULL;
	char *other = NULL;
	if (rc == EXIT_OK) {
		const char *conn = args->positional.items[0], *table = args->positional.items[1];
		other = args->positional.len == 3 ? xstrdup(args->positional.items[2])
			: xasprintf("%s%s", table, BACKFILL_SUFFIX);
		conns = step_conns_new(ctx->project, true);
		const char *conn2 = cmd_opt_value(args, "--other-connection");
		struct db *db = step_conns_get(conns, conn, e);
		struct db *db2 = db && conn2 ? step_conns_get(conns, conn2, e) : db;
		struct compare_request req = { table, other, (const char *const *)key.items,
					       key.len, (int)samples, false };
		struct compare_result r;
		if (!db || !db2 || compare_tables_across(db, db2, &req, &r, e) < 0) {
			rc = exit_for(e);
		} else {
			cJSON *j = compare_result_json(&r);
			if (args->format == CMD_FORMAT_JSON) {
				cmd_json_print(ctx->out, j);
			} else {
				cJSON *wrap = cJSON_CreateObject();
				cJSON *arr = cJSON_AddArrayToObject(wrap, "tables");
				cJSON_AddItemToArray(arr, j);
				print_compare(ctx, wrap);
				cJSON_DetachItemFromArray(arr, 0);
				cJSON_Delete(wrap);
			}
			cJSON_Delete(j);
			compare_result_free(&r);
		}
	}
	step_conns_free(conns);
	free(other);
	vec_free_all(&key, free);
	return rc;
}

const struct cmd_entry cmd_backfill_entries[] = {
	{ .name = "backfill plan", .usage = "FLOW [NAME=VALUE ...] [--json]",
	  .summary = "dry run: tables to rebuild, rows to read, tasks to suspend",
	  .help = "Shows what a backfill of FLOW would do, without doing any of it: every\n"
	  "table its load steps write (rebuilt as TABLE_backfill) with the key it is\n"
	  "compared by, the raw history read (streams from their start, pipes' raw\n"
	  "tables), the tasks that would be suspended, and problems that would stop\n"
	  "it.  Exit status 1 when there are problems.",
	  .flags = CMD_NEEDS_STORE, .formats = CMD_PRINTS_JSON,
	  .args = { 1, CMD_ARGS_MANY, { CMD_KIND_FLOW, CMD_KIND_PARAM } },
	  .exec = exec_plan },
	{ .name = "backfill start", .usage = "FLOW [NAME=VALUE ...] [--from D1 --to D2] "
	  "[--reprocess none|failed|all] [--max-active N] [--backwards] [--dry-run]",
	  .summary = "begin a backfill of FLOW: plan it and wait for 'next'",
	  .help = "Records the plan as backfill step 1 of 7.  Then, one 'next' at a time:\n"
	  "suspend the flow's tasks, rebuild its tables as TABLE_backfill, validate\n"
	  "them, compare them with the current tables; then approve (swap) or\n"
	  "discard, and 'next' resumes the tasks.  One backfill per flow at a time.\n"
	  "A partitioned flow's range --from D1 --to D2 (both included) rebuilds one\n"
	  "run per partition, at most --max-active N at a time (default 1), newest\n"
	  "first with --backwards.  --reprocess: none (default) runs the partitions\n"
	  "whose latest run did not complete, failed only those whose latest run\n"
	  "failed, all every one.  --dry-run lists the partitions and what each\n"
	  "would do, and starts nothing.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE, .formats = CMD_PRINTS_JSON,
	  .options = {
		{ "--from", NULL, CMD_KIND_TEXT },
		{ "--to", NULL, CMD_KIND_TEXT },
		{ "--reprocess", NULL, CMD_KIND_CHOICE, "none|failed|all" },
		{ "--max-active", NULL, CMD_KIND_NUMBER },
		{ "--backwards", NULL },
		{ "--dry-run", NULL },
	  },
	  .args = { 1, CMD_ARGS_MANY, { CMD_KIND_FLOW, CMD_KIND_PARAM } },
	  .exec = exec_start,
	  .audit = { "start", "backfill of" } },
	{ .name = "backfill pause", .usage = "FLOW",
	  .summary = "a partitioned backfill starts no new partition runs",
	  .help = "The runs going finish; then the rebuild stops.  'backfill resume'\n"
	  "goes on with the partitions left.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE,
	  .args = { 1, 1, { CMD_KIND_FLOW } },
	  .exec = exec_pause,
	  .audit = { "pause", "backfill of" } },
	{ .name = "backfill resume", .usage = "FLOW [--samples N] [--background]",
	  .summary = "lift a pause and take the next step (the partitions left)",
	  .help = "As 'backfill next' once the pause is lifted.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE,
	  .options = {
		{ "--samples", NULL, CMD_KIND_NUMBER },
		{ "--background", NULL },
	  },
	  .args = { 1, 1, { CMD_KIND_FLOW } },
	  .exec = exec_resume,
	  .audit = { "resume", "backfill of" } },
	{ .name = "backfill cancel", .usage = "FLOW",
	  .summary = "stop a partitioned backfill: no new runs, the runs going cancelled",
	  .help = "The rebuild ends; 'backfill discard' then drops the backfill tables.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE,
	  .args = { 1, 1, { CMD_KIND_FLOW } },
	  .exec = exec_cancel,
	  .audit = { "cancel", "backfill of" } },
	{ .name = "backfill next", .usage = "FLOW [--samples N] [--background]",
	  .summary = "take the next step of FLOW's backfill (or run a failed one again)",
	  .help = "Waits for the step to finish.  --background starts it in a detached\n"
	  "process and returns at once (watch it with 'backfill status').  A step\n"
	  "left running by a process that is gone is run again.  --samples: rows of\n"
	  "each kind the compare step keeps (default 5).",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE,
	  .options = {
		{ "--samples", NULL, CMD_KIND_NUMBER },
		{ "--background", NULL },
	  },
	  .args = { 1, 1, { CMD_KIND_FLOW } },
	  .exec = exec_next },
	{ .name = "backfill approve", .usage = "FLOW [--yes] [--force]",
	  .summary = "swap the compared tables in (TABLE -> TABLE_old, TABLE_backfill -> TABLE)",
	  .help = "One transaction per connection, so a reader sees the old table or the\n"
	  "new one, never none.  The previous TABLE_old is dropped.  Asks for\n"
	  "confirmation unless --yes.  Refused while a run of the flow is in\n"
	  "progress; --force approves even though a run completed after the\n"
	  "rebuild began (its rows are lost).  Then 'next' resumes the tasks.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE,
	  .options = { { "--yes", "-y" }, { "--force", NULL } },
	  .args = { 1, 1, { CMD_KIND_FLOW } },
	  .exec = exec_approve,
	  .audit = { "approve", "backfill of" } },
	{ .name = "backfill discard", .usage = "FLOW [--yes]",
	  .summary = "drop the backfill tables; the current tables stay as they are",
	  .help = "Asks for confirmation unless --yes.  Then 'next' resumes the tasks.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE,
	  .options = { { "--yes", "-y" } },
	  .args = { 1, 1, { CMD_KIND_FLOW } },
	  .exec = exec_discard,
	  .audit = { "discard", "backfill of" } },
	{ .name = "backfill status", .usage = "[FLOW] [--json]",
	  .summary = "where a backfill stands: steps, progress, validation, compare, history",
	  .help = "Without FLOW: every backfill, newest first.  --json carries everything a\n"
	  "view needs (see backfill_status in steps.h).  Without FLOW, --format csv\n"
	  "prints the list as CSV.",
	  .flags = CMD_NEEDS_STORE, .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .args = { 0, 1, { CMD_KIND_FLOW } },
	  .exec = exec_status },
	{ .name = "show backfills", .usage = "[--json]",
	  .summary = "every backfill, newest first: flow, step, state",
	  .help = "The same list as 'backfill status' without a flow.",
	  .flags = CMD_NEEDS_STORE, .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .exec = exec_show_backfills },
	{ .name = "backfill compare", .usage = "CONN TABLE [OTHER] --key COLS [--json]",
	  .summary = "compare TABLE with OTHER (default TABLE_backfill) by key, in the database",
	  .help = "Counts rows only in each, changed rows (per column) and unchanged rows\n"
	  "in one pass inside the database, and shows a few samples of each kind.\n"
	  "COLS is a comma-separated list; --samples N keeps N rows of each kind.\n"
	  "--other-connection CONN2: OTHER lives on another database; both are\n"
	  "read in key order and merged here (memory stays small either way).",
	  .flags = CMD_NEEDS_PROJECT, .formats = CMD_PRINTS_JSON,
	  .options = {
		{ "--key", "-k", CMD_KIND_TEXT },
		{ "--samples", NULL, CMD_KIND_NUMBER },
		{ "--other-connection", NULL, CMD_KIND_CONNECTION },
	  },
	  .args = { 2, 3, { CMD_KIND_CONNECTION, CMD_KIND_TABLE, CMD_KIND_TABLE } },
	  .exec = exec_compare },
	{ .name = NULL },
};
