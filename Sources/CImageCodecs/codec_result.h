// Helpers shared by the decoders and the encoder for filling an image_codec_result.
#ifndef CODEC_RESULT_H
#define CODEC_RESULT_H

#include "image_codecs.h"

void codec_result_reset(image_codec_result *result);
void codec_result_fail(image_codec_result *result, image_codec_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#endif
