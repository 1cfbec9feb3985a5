// PNG encoding with libpng's classic API into a growing memory buffer.
//
// Not png_image_write_to_memory: the simplified writer treats 16-bit data as linear light (it
// writes gAMA 1.0 and premultiplies alpha), while our 16-bit images are plain integer masks.

#include "codec_result.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

typedef struct png_memory_writer {
    uint8_t *bytes;
    size_t size;
    size_t capacity;
    image_codec_result *result;
} png_memory_writer;

static void write_to_memory(png_structp png, png_bytep data, size_t count) {
    png_memory_writer *writer = png_get_io_ptr(png);
    if (count > writer->capacity - writer->size) {
        size_t capacity = writer->capacity < 4096 ? 4096 : writer->capacity;
        while (count > capacity - writer->size) {
            if (capacity > SIZE_MAX / 2) png_error(png, "out of memory");
            capacity *= 2;
        }
        uint8_t *grown = realloc(writer->bytes, capacity);
        if (grown == NULL) {
            codec_result_fail(writer->result, IMAGE_CODEC_NO_MEMORY, "out of memory");
            png_longjmp(png, 1);
        }
        writer->bytes = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->bytes + writer->size, data, count);
    writer->size += count;
}

static void flush_nothing(png_structp png) {
    (void)png;
}

static void on_png_error(png_structp png, png_const_charp message) {
    png_memory_writer *writer = png_get_error_ptr(png);
    codec_result_fail(writer->result, IMAGE_CODEC_CORRUPT, "%s", message);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static int is_little_endian(void) {
    const uint16_t probe = 1;
    return *(const uint8_t *)&probe == 1;
}

void image_codec_png_encode(const void *samples, uint32_t width, uint32_t height, int channels,
                            int bit_depth, uint8_t **png_out, size_t *png_size, image_codec_result *result) {
    image_codec_png_encode_options options = {NULL, 0, NULL, 0, -1};
    image_codec_png_encode_with(samples, width, height, channels, bit_depth, &options, png_out, png_size, result);
}

void image_codec_png_encode_with(const void *samples, uint32_t width, uint32_t height, int channels,
                                 int bit_depth, const image_codec_png_encode_options *options, uint8_t **png_out,
                                 size_t *png_size, image_codec_result *result) {
    codec_result_reset(result);
    *png_out = NULL;
    *png_size = 0;
    int color_type;
    switch (channels) {
        case 1: color_type = options->palette != NULL ? PNG_COLOR_TYPE_PALETTE : PNG_COLOR_TYPE_GRAY; break;
        case 3: color_type = PNG_COLOR_TYPE_RGB; break;
        case 4: color_type = PNG_COLOR_TYPE_RGB_ALPHA; break;
        default:
            codec_result_fail(result, IMAGE_CODEC_CORRUPT, "unsupported channel count %d", channels);
            return;
    }
    if (color_type == PNG_COLOR_TYPE_PALETTE
        && (bit_depth != 8 || options->palette_count < 1 || options->palette_count > 256
            || options->alpha_count < 0 || options->alpha_count > options->palette_count)) {
        codec_result_fail(result, IMAGE_CODEC_CORRUPT, "unsupported palette of %d entries", options->palette_count);
        return;
    }
    if (bit_depth != 8 && bit_depth != 16) {
        codec_result_fail(result, IMAGE_CODEC_CORRUPT, "unsupported bit depth %d", bit_depth);
        return;
    }

    png_memory_writer writer = {NULL, 0, 0, result};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &writer, on_png_error, on_png_warning);
    png_infop info = png == NULL ? NULL : png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        codec_result_fail(result, IMAGE_CODEC_NO_MEMORY, "out of memory");
        return;
    }
    if (setjmp(png_jmpbuf(png)) == 0) {
        png_set_write_fn(png, &writer, write_to_memory, flush_nothing);
        png_set_IHDR(png, info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        if (color_type == PNG_COLOR_TYPE_PALETTE) {
            png_color entries[256];
            for (int i = 0; i < options->palette_count; i++) {
                entries[i].red = options->palette[3 * i];
                entries[i].green = options->palette[3 * i + 1];
                entries[i].blue = options->palette[3 * i + 2];
            }
            png_set_PLTE(png, info, entries, options->palette_count);
            if (options->alpha_count > 0) png_set_tRNS(png, info, options->alpha, options->alpha_count, NULL);
            // Rows of indices gain nothing from prediction filters; NONE is also the fastest.
            png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
        }
        if (options->level >= 0) png_set_compression_level(png, options->level);
        png_write_info(png, info);
        if (bit_depth == 16 && is_little_endian()) png_set_swap(png);  // PNG stores big-endian
        size_t row_bytes = (size_t)width * (size_t)channels * (size_t)(bit_depth / 8);
        const uint8_t *row = samples;
        for (uint32_t y = 0; y < height; y++, row += row_bytes) png_write_row(png, row);
        png_write_end(png, NULL);
    }
    png_destroy_write_struct(&png, &info);
    if (result->status == IMAGE_CODEC_OK) {
        *png_out = writer.bytes;
        *png_size = writer.size;
    } else {
        free(writer.bytes);
    }
}
