/* tui.h - see doc/architecture.md */
#ifndef SLUICE_TUI_H
#define SLUICE_TUI_H
#endif
