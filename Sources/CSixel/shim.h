#ifndef CSIXEL_SHIM_H
#define CSIXEL_SHIM_H
#include <sixel.h>

// Function-like macros Swift cannot call.
static inline int csixel_failed(SIXELSTATUS status) { return SIXEL_FAILED(status) ? 1 : 0; }

// Pixel format and policy values spelled as expressions in sixel.h.
static const int csixel_pixelformat_rgb888 = SIXEL_PIXELFORMAT_RGB888;
static const int csixel_pixelformat_pal8 = SIXEL_PIXELFORMAT_PAL8;
static const int csixel_encodepolicy_size = SIXEL_ENCODEPOLICY_SIZE;
#endif
