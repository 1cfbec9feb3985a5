#include "codec_result.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void codec_result_reset(image_codec_result *result) {
    memset(result, 0, sizeof *result);
}

void codec_result_fail(image_codec_result *result, image_codec_status status, const char *format, ...) {
    // Keep the first failure: later ones are usually consequences of it.
    if (result->status != IMAGE_CODEC_OK) return;
    result->status = status;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(result->message, sizeof result->message, format, arguments);
    va_end(arguments);
}

void image_codec_free(void *pointer) {
    free(pointer);
}
