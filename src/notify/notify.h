/* notify.h - see doc/architecture.md */
#ifndef SLUICE_NOTIFY_H
#define SLUICE_NOTIFY_H
#endif
