/*
 * steps_int.h - shared by the files of steps/: the operations table every
 * step kind provides, and helpers the kinds have in common.
 *
 * Adding a step kind: write steps/KIND.c with a `const struct step_ops
 * step_KIND_ops`, declare it here, list it in the kind table in steps.c.
 */
#ifndef SLUICE_STEPS_INT_H
#define SLUICE_STEPS_INT_H

#include "steps/steps.h"
#include "project/project.h"

struct step_ops {
	enum step_kind kind;
	/* Parse and check the kind's keys (spec_* helpers, project_diag);
	 * return the number of errors added. */
	size_t (*validate)(const struct project *p, const struct project_flow *f,
			   const struct project_step *s, struct diags *d);
	/* Do the work; see steps_run in steps.h. */
	int (*run)(struct step_ctx *ctx, struct err *e);
	/* Append what the result depends on besides the step's definition and
	 * the parameters (e.g. source row counts and max watermark) to `key`;
	 * NULL when the kind is never cached (side effects, like notify). */
	int (*cache_inputs)(struct step_ctx *ctx, struct buf *key, struct err *e);
};

extern const struct step_ops step_extract_ops;
extern const struct step_ops step_ingest_ops;
extern const struct step_ops step_normalize_ops;
extern const struct step_ops step_sql_ops;
extern const struct step_ops step_validate_ops;
extern const struct step_ops step_load_ops;
extern const struct step_ops step_http_ops;
extern const struct step_ops step_notify_ops;

#endif
