/* engine.h - see doc/architecture.md */
#ifndef SLUICE_ENGINE_H
#define SLUICE_ENGINE_H
#endif
