#ifndef CNCURSESW_SHIM_H
#define CNCURSESW_SHIM_H
// Wide-character curses; Swift cannot call the macro forms, so the few we need are wrapped here.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <ncursesw/curses.h>
#include <ncursesw/term.h>

static inline FILE *cncurses_stdin(void) { return stdin; }
static inline FILE *cncurses_stdout(void) { return stdout; }
static inline WINDOW *cncurses_stdscr(void) { return stdscr; }
static inline WINDOW *cncurses_curscr(void) { return curscr; }
static inline int cncurses_lines(void) { return LINES; }
static inline int cncurses_cols(void) { return COLS; }
static inline int cncurses_colors(void) { return COLORS; }
static inline int cncurses_color_pairs(void) { return COLOR_PAIRS; }
static inline int cncurses_max_y(WINDOW *window) { return getmaxy(window); }
static inline int cncurses_max_x(WINDOW *window) { return getmaxx(window); }

static inline attr_t cncurses_color_pair(short pair) { return (attr_t)COLOR_PAIR(pair); }
static const attr_t cncurses_a_normal = A_NORMAL;
static const attr_t cncurses_a_bold = A_BOLD;
static const attr_t cncurses_a_dim = A_DIM;
static const attr_t cncurses_a_reverse = A_REVERSE;
static const attr_t cncurses_a_underline = A_UNDERLINE;

// Mouse event masks (function-like macros in curses.h).
static const mmask_t cncurses_all_mouse_events = ALL_MOUSE_EVENTS;
static const mmask_t cncurses_report_mouse_position = REPORT_MOUSE_POSITION;
static const mmask_t cncurses_button1_pressed = BUTTON1_PRESSED;
static const mmask_t cncurses_button1_released = BUTTON1_RELEASED;
static const mmask_t cncurses_button1_clicked = BUTTON1_CLICKED;
static const mmask_t cncurses_button2_pressed = BUTTON2_PRESSED;
static const mmask_t cncurses_button2_released = BUTTON2_RELEASED;
static const mmask_t cncurses_button2_clicked = BUTTON2_CLICKED;
static const mmask_t cncurses_button3_pressed = BUTTON3_PRESSED;
static const mmask_t cncurses_button3_released = BUTTON3_RELEASED;
static const mmask_t cncurses_button3_clicked = BUTTON3_CLICKED;
static const mmask_t cncurses_button4_pressed = BUTTON4_PRESSED;
static const mmask_t cncurses_button5_pressed = BUTTON5_PRESSED;
static const mmask_t cncurses_button_shift = BUTTON_SHIFT;

// Draws one wide character string with attributes and a colour pair at (y, x).
static inline int cncurses_put_string(WINDOW *window, int y, int x, const wchar_t *text, int count, attr_t attributes, short pair) {
    if (wmove(window, y, x) == ERR) return ERR;
    wattr_set(window, attributes, pair, NULL);
    int status = waddnwstr(window, text, count);
    wattr_set(window, A_NORMAL, 0, NULL);
    return status;
}
#endif
