/* steps.h - see doc/architecture.md */
#ifndef SLUICE_STEPS_H
#define SLUICE_STEPS_H
#endif
