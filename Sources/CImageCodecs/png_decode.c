// PNG decoding to 8-bit RGB with libpng's classic API.
//
// The classic API rather than png_image_*: the simplified reader converts through its idea of the
// file's gamma (16-bit files without gAMA count as linear, gAMA chunks re-encode the samples),
// whereas we want the stored samples as they are, like most viewers and Pillow give them.

#include "codec_result.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

typedef struct png_memory_reader {
    const uint8_t *data;
    size_t size;
    size_t offset;
    image_codec_result *result;
} png_memory_reader;

static void read_from_memory(png_structp png, png_bytep out, size_t count) {
    png_memory_reader *reader = png_get_io_ptr(png);
    if (count > reader->size - reader->offset) {
        codec_result_fail(reader->result, IMAGE_CODEC_TRUNCATED, "the file ends inside the image data");
        png_longjmp(png, 1);
    }
    memcpy(out, reader->data + reader->offset, count);
    reader->offset += count;
}

static void on_png_error(png_structp png, png_const_charp message) {
    png_memory_reader *reader = png_get_error_ptr(png);
    codec_result_fail(reader->result, IMAGE_CODEC_CORRUPT, "%s", message);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp message) {
    // Warnings (bad ancillary chunks and the like) do not stop an image from being shown.
    (void)png;
    (void)message;
}

static png_voidp allocate(png_structp png, png_alloc_size_t size) {
    (void)png;
    return malloc(size);
}

static void release(png_structp png, png_voidp pointer) {
    (void)png;
    free(pointer);
}

// Shared by both entry points: creates the reader and reads everything up to the first IDAT.
// Returns NULL (with result filled) on failure before the jump buffer exists.
static png_structp create_reader(png_memory_reader *reader, png_infop *info) {
    png_structp png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, reader, on_png_error, on_png_warning,
                                               NULL, allocate, release);
    if (png == NULL) {
        codec_result_fail(reader->result, IMAGE_CODEC_NO_MEMORY, "out of memory");
        return NULL;
    }
    *info = png_create_info_struct(png);
    if (*info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        codec_result_fail(reader->result, IMAGE_CODEC_NO_MEMORY, "out of memory");
        return NULL;
    }
    png_set_read_fn(png, reader, read_from_memory);
    // libpng's own cap (a million pixels a side) would refuse a long panorama with a vague
    // message; the caller's pixel limit decides instead.
    png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    return png;
}

void image_codec_png_read_size(const uint8_t *data, size_t size, image_codec_result *result) {
    codec_result_reset(result);
    png_memory_reader reader = {data, size, 0, result};
    png_infop info = NULL;
    png_structp png = create_reader(&reader, &info);
    if (png == NULL) return;
    if (setjmp(png_jmpbuf(png)) == 0) {
        png_read_info(png, info);
        result->width = png_get_image_width(png, info);
        result->height = png_get_image_height(png, info);
    }
    png_destroy_read_struct(&png, &info, NULL);
}

void image_codec_png_decode_rgb8(const uint8_t *data, size_t size, uint8_t *rgb, size_t capacity,
                                 image_codec_result *result) {
    codec_result_reset(result);
    png_memory_reader reader = {data, size, 0, result};
    png_infop info = NULL;
    png_structp png = create_reader(&reader, &info);
    if (png == NULL) return;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png)) == 0) {
        png_read_info(png, info);
        png_uint_32 width = png_get_image_width(png, info);
        png_uint_32 height = png_get_image_height(png, info);
        result->width = width;
        result->height = height;
        int color_type = png_get_color_type(png, info);
        int bit_depth = png_get_bit_depth(png, info);

        if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
        if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
        if (bit_depth == 16) png_set_scale_16(png);  // rounds: round(v * 255 / 65535)
        // Alpha is dropped, not composited: the colour channels are what the model should see.
        if ((color_type & PNG_COLOR_MASK_ALPHA) != 0 || png_get_valid(png, info, PNG_INFO_tRNS) != 0)
            png_set_strip_alpha(png);
        if ((color_type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
        (void)png_set_interlace_handling(png);
        png_read_update_info(png, info);

        size_t row_bytes = png_get_rowbytes(png, info);
        if (row_bytes != (size_t)width * 3 || png_get_bit_depth(png, info) != 8) {
            codec_result_fail(result, IMAGE_CODEC_CORRUPT, "unsupported PNG pixel layout");
        } else if (capacity / row_bytes < height || capacity != row_bytes * height) {
            codec_result_fail(result, IMAGE_CODEC_CORRUPT, "image size changed between reads");
        } else {
            rows = malloc(sizeof(png_bytep) * height);
            if (rows == NULL) {
                codec_result_fail(result, IMAGE_CODEC_NO_MEMORY, "out of memory");
            } else {
                for (png_uint_32 y = 0; y < height; y++) rows[y] = rgb + (size_t)y * row_bytes;
                png_read_image(png, rows);
            }
        }
    }
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
}
