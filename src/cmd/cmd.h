/* cmd.h - see doc/architecture.md */
#ifndef SLUICE_CMD_H
#define SLUICE_CMD_H
#endif
