/*
 * mode.h - the modes main() can pick besides a one-shot command: the
 * console (operator or read-only) and the demo.
 */
#ifndef SLUICE_MODE_H
#define SLUICE_MODE_H

#include "cmd/cmd.h"

/* Open the console on ctx's project; read_only for `sluice monitor`.
 * Unless read-only, the engine runs in-process while the console is open. */
int mode_console(struct cmd_ctx *ctx, bool read_only, struct err *e);
/* Create the demo project in the user's data directory if it is not
 * there yet, then open the console on it with the engine running. */
int mode_demo(struct cmd_ctx *ctx, struct err *e);

#endif
