/* format.h - see doc/architecture.md */
#ifndef SLUICE_FORMAT_H
#define SLUICE_FORMAT_H
#endif
