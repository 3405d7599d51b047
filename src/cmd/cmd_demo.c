/*
 * cmd_demo.c - `sluice demo simulate`: keep the demo's shop busy.
 *
 * Runs rounds of the demo's simulator (demo/) against the project's
 * `source` connection and lake: new and amended sales orders for the
 * incremental extract, and files of order documents for the orders pipe.
 * With --once (or --rounds N) it stops by itself, which is what tests
 * use; otherwise it runs until interrupted, finishing the round in
 * progress.  (`sluice --demo` runs the same rounds on a thread of its own:
 * demo_simulator_start.)
 */
#include "cmd/cmd_int.h"
#include "demo/demo.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_INTERVAL (5 * USEC_PER_SEC)

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Sleep up to `d`, waking early when a stop was asked for. */
static void nap(usec_t d)
{
	usec_t until = clock_monotonic_us() + d;
	while (!stop_requested) {
		usec_t left = until - clock_monotonic_us();
		if (left <= 0)
			return;
		if (left > 100 * USEC_PER_MSEC)
			left = 100 * USEC_PER_MSEC;
		struct timespec ts = { 0, (long)(left * 1000) };
		nanosleep(&ts, NULL);
	}
}

static void print_round(FILE *out, const struct demo_round *r)
{
	fprintf(out, "round %lld: %lld new sales order%s, %lld amended, %lld other change%s",
		(long long)r->round, (long long)r->orders_new, r->orders_new == 1 ? "" : "s",
		(long long)r->orders_updated, (long long)r->others, r->others == 1 ? "" : "s");
	if (r->file)
		fprintf(out, "; dropped %s (%lld order%s%s)", r->file, (long long)r->documents,
			r->documents == 1 ? "" : "s", r->bad_file ? ", and a broken line" : "");
	fputc('\n', out);
	fflush(out);
}

static int simulate(struct cmd_ctx *ctx, int64_t rounds, usec_t interval, struct err *e)
{
	struct demo_shop *shop = demo_shop_open(ctx->project, e);
	if (!shop)
		return EXIT_FAILED;
	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	bool handlers = rounds != 1;
	stop_requested = 0;
	if (handlers) {
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
	}
	int rc = EXIT_OK;
	for (int64_t done = 0; (rounds == 0 || done < rounds) && !stop_requested; done++) {
		if (done > 0)
			nap(interval);
		if (stop_requested)
			break;
		struct demo_round r;
		if (demo_shop_round(shop, &r, e) < 0) {
			rc = EXIT_FAILED;
			break;
		}
		print_round(ctx->out, &r);
		free(r.file);
	}
	if (handlers) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	demo_shop_close(shop);
	return rc;
}

int cmd_demo_simulate_exec(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	const struct cmd_entry *self = args->entry;
	int rc = EXIT_USAGE;
	bool once = cmd_opt_flag(args, "--once");
	int64_t rounds = once ? 1 : 0;
	usec_t interval = DEFAULT_INTERVAL;
	const char *r = cmd_opt_value(args, "--rounds");
	const char *iv = cmd_opt_value(args, "--interval");
	if (r && once)
		rc = cmd_usage_error(self, e, "--once and --rounds do not go together");
	else if (r && (!str_to_i64(r, &rounds) || rounds < 1))
		rc = cmd_usage_error(self, e, "--rounds: expected a whole number of at least 1, "
				     "not '%s'", r);
	else if (iv && strcmp(iv, "0") != 0 && !duration_parse(iv, &interval))
		rc = cmd_usage_error(self, e, "--interval: expected a duration such as 5s or 1m, "
				     "not '%s'", iv);
	else if (rounds == 0 && ctx->surface != SURFACE_CLI)
		err_set(e, ERR_INVALID, "'demo simulate' without --once or --rounds runs until "
			"interrupted; here, use --once");
	else
		rc = simulate(ctx, rounds, iv && strcmp(iv, "0") == 0 ? 0 : interval, e);
	return rc;
}
