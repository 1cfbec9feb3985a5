#ifndef CNCURSESW_SHIM_H
#define CNCURSESW_SHIM_H
// Wide-character curses; Swift cannot call the macro forms, so the few we need are wrapped here.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <ncursesw/curses.h>
#endif
