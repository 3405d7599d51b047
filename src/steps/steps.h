/*
 * steps.h - the step kinds of a flow, pipes and streams.
 */
#ifndef SLUICE_STEPS_H
#define SLUICE_STEPS_H

#include "core/core.h"

struct project;
struct diags;

/* Validate every step's kind-specific keys, adding diagnostics at their
 * positions.  Returns the number of errors added. */
size_t steps_validate(const struct project *p, struct diags *d);

#endif
