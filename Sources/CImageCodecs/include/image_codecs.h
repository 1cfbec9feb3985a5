// PNG and JPEG coding over libpng and libjpeg-turbo for the Segmentation library.
//
// Both libraries report fatal errors by longjmp, which must never cross a Swift frame, so every
// call into them lives in this target behind setjmp and comes back as an image_codec_result.
// Decoding is two-step so that the caller can check the size and allocate the pixels itself:
// *_read_size reads only the header; *_decode_rgb8 decodes into the caller's width*height*3 buffer.
#ifndef IMAGE_CODECS_H
#define IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum image_codec_status {
    IMAGE_CODEC_OK = 0,
    IMAGE_CODEC_CORRUPT = 1,    // the library rejected the data; message says why
    IMAGE_CODEC_TRUNCATED = 2,  // the data ends before the image does
    IMAGE_CODEC_NO_MEMORY = 3,
} image_codec_status;

typedef struct image_codec_result {
    image_codec_status status;
    uint32_t width;   // the stored image's size, set once the header has been read
    uint32_t height;
    char message[200];  // NUL-terminated detail when status != IMAGE_CODEC_OK
} image_codec_result;

void image_codec_png_read_size(const uint8_t *data, size_t size, image_codec_result *result);
/// Decodes to 8-bit RGB: palettes and gray are expanded, 16-bit samples are rounded to 8 bits,
/// alpha and tRNS are dropped (colour channels kept as stored), gAMA/iCCP are ignored.
void image_codec_png_decode_rgb8(const uint8_t *data, size_t size, uint8_t *rgb, size_t capacity,
                                 image_codec_result *result);

void image_codec_jpeg_read_size(const uint8_t *data, size_t size, image_codec_result *result);
/// Decodes to 8-bit RGB in stored orientation (EXIF orientation is the caller's business).
/// Gray, YCbCr, RGB, CMYK and YCCK (Adobe-inverted or plain) are converted to RGB.
void image_codec_jpeg_decode_rgb8(const uint8_t *data, size_t size, uint8_t *rgb, size_t capacity,
                                  image_codec_result *result);

/// Encodes width*height pixels of `channels` samples (1 gray, 3 RGB, 4 RGBA) at `bit_depth`
/// 8 (bytes) or 16 (host-order uint16_t). On success *png / *png_size hold a malloc'd PNG
/// file that the caller releases with image_codec_free.
void image_codec_png_encode(const void *samples, uint32_t width, uint32_t height, int channels,
                            int bit_depth, uint8_t **png, size_t *png_size, image_codec_result *result);

typedef struct image_codec_png_encode_options {
    const uint8_t *palette;  // RGB triples: with channels 1 and bit depth 8, samples are indices
    int palette_count;       // 1...256
    const uint8_t *alpha;    // tRNS: the alpha of the first alpha_count palette entries
    int alpha_count;
    int level;               // zlib level 0...9, or -1 for libpng's default
} image_codec_png_encode_options;

/// image_codec_png_encode with a palette (colour type 3) and a compression level.
void image_codec_png_encode_with(const void *samples, uint32_t width, uint32_t height, int channels,
                                 int bit_depth, const image_codec_png_encode_options *options, uint8_t **png,
                                 size_t *png_size, image_codec_result *result);

void image_codec_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif
