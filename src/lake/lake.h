/* lake.h - see doc/architecture.md */
#ifndef SLUICE_LAKE_H
#define SLUICE_LAKE_H
#endif
