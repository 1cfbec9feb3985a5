// JPEG decoding to 8-bit RGB with libjpeg-turbo, errors caught with setjmp.

#include "codec_result.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

// Hostile progressive files can hold thousands of tiny scans that each cost a full pass over the
// coefficients; real encoders write a dozen or so.
enum { MAX_PROGRESSIVE_SCANS = 1000 };

typedef struct jpeg_failure_handler {
    struct jpeg_error_mgr base;
    jmp_buf escape;
    image_codec_result *result;
    int data_ran_out;     // the source had to invent an end-of-image marker
    int scan_ran_short;   // the entropy decoder needed bits that were not there
} jpeg_failure_handler;

static void on_jpeg_error(j_common_ptr cinfo) {
    jpeg_failure_handler *handler = (jpeg_failure_handler *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    handler->base.format_message(cinfo, text);
    if (handler->base.msg_code == JERR_OUT_OF_MEMORY) {
        codec_result_fail(handler->result, IMAGE_CODEC_NO_MEMORY, "%s", text);
    } else if (handler->data_ran_out) {
        // Whatever went wrong after the data ended (no image, missing tables) is the truncation's doing.
        codec_result_fail(handler->result, IMAGE_CODEC_TRUNCATED, "the file ends inside the image data");
    } else {
        codec_result_fail(handler->result, IMAGE_CODEC_CORRUPT, "%s", text);
    }
    longjmp(handler->escape, 1);
}

static void on_jpeg_message(j_common_ptr cinfo, int level) {
    // Corrupt-data warnings are tolerated as every viewer does; only note a scan running dry.
    jpeg_failure_handler *handler = (jpeg_failure_handler *)cinfo->err;
    if (level < 0 && handler->base.msg_code == JWRN_HIT_MARKER) handler->scan_ran_short = 1;
}

static void limit_scans(j_common_ptr cinfo) {
    j_decompress_ptr decoder = (j_decompress_ptr)cinfo;
    if (decoder->input_scan_number > MAX_PROGRESSIVE_SCANS) {
        jpeg_failure_handler *handler = (jpeg_failure_handler *)cinfo->err;
        codec_result_fail(handler->result, IMAGE_CODEC_CORRUPT, "more than %d progressive scans",
                          MAX_PROGRESSIVE_SCANS);
        longjmp(handler->escape, 1);
    }
}

// A memory source like jpeg_mem_src, except that running out of data is recorded rather than
// warned about, so that a file missing only its final EOI marker still decodes.
typedef struct memory_source {
    struct jpeg_source_mgr base;
    const uint8_t *data;
    size_t size;
} memory_source;

static const JOCTET invented_end_marker[2] = {0xFF, JPEG_EOI};

static void start_source(j_decompress_ptr decoder) {
    memory_source *source = (memory_source *)decoder->src;
    source->base.next_input_byte = source->data;
    source->base.bytes_in_buffer = source->size;
}

static boolean refill_source(j_decompress_ptr decoder) {
    ((jpeg_failure_handler *)decoder->err)->data_ran_out = 1;
    decoder->src->next_input_byte = invented_end_marker;
    decoder->src->bytes_in_buffer = sizeof invented_end_marker;
    return TRUE;
}

static void skip_source(j_decompress_ptr decoder, long count) {
    struct jpeg_source_mgr *source = decoder->src;
    if (count <= 0) return;
    while ((size_t)count > source->bytes_in_buffer) {
        count -= (long)source->bytes_in_buffer;
        refill_source(decoder);
    }
    source->next_input_byte += count;
    source->bytes_in_buffer -= (size_t)count;
}

static void end_source(j_decompress_ptr decoder) {
    (void)decoder;
}

static void prepare_decoder(struct jpeg_decompress_struct *decoder, jpeg_failure_handler *handler,
                            struct jpeg_progress_mgr *progress, memory_source *source,
                            const uint8_t *data, size_t size, image_codec_result *result) {
    decoder->err = jpeg_std_error(&handler->base);
    handler->base.error_exit = on_jpeg_error;
    handler->base.emit_message = on_jpeg_message;
    handler->result = result;
    handler->data_ran_out = 0;
    handler->scan_ran_short = 0;
    jpeg_create_decompress(decoder);
    progress->progress_monitor = limit_scans;
    decoder->progress = progress;
    source->base.init_source = start_source;
    source->base.fill_input_buffer = refill_source;
    source->base.skip_input_data = skip_source;
    source->base.resync_to_restart = jpeg_resync_to_restart;
    source->base.term_source = end_source;
    source->data = data;
    source->size = size;
    decoder->src = &source->base;
}

void image_codec_jpeg_read_size(const uint8_t *data, size_t size, image_codec_result *result) {
    codec_result_reset(result);
    struct jpeg_decompress_struct decoder;
    jpeg_failure_handler handler;
    struct jpeg_progress_mgr progress;
    memory_source source;
    memset(&decoder, 0, sizeof decoder);
    memset(&progress, 0, sizeof progress);
    memset(&source, 0, sizeof source);
    if (setjmp(handler.escape) == 0) {
        prepare_decoder(&decoder, &handler, &progress, &source, data, size, result);
        jpeg_read_header(&decoder, TRUE);
        result->width = decoder.image_width;
        result->height = decoder.image_height;
    }
    jpeg_destroy_decompress(&decoder);
}

// Adobe applications store CMYK inverted (0 = full ink); plain CMYK stores ink amounts.
// Either way RGB is (1 - C)(1 - K) per channel, with C as ink.
static void cmyk_row_to_rgb(const JSAMPLE *cmyk, uint8_t *rgb, JDIMENSION width, int inverted) {
    for (JDIMENSION x = 0; x < width; x++, cmyk += 4, rgb += 3) {
        unsigned key = inverted ? cmyk[3] : 255u - cmyk[3];
        for (int channel = 0; channel < 3; channel++) {
            unsigned paper = inverted ? cmyk[channel] : 255u - cmyk[channel];
            rgb[channel] = (uint8_t)((paper * key + 127u) / 255u);
        }
    }
}

void image_codec_jpeg_decode_rgb8(const uint8_t *data, size_t size, uint8_t *rgb, size_t capacity,
                                  image_codec_result *result) {
    codec_result_reset(result);
    struct jpeg_decompress_struct decoder;
    jpeg_failure_handler handler;
    struct jpeg_progress_mgr progress;
    memory_source source;
    memset(&decoder, 0, sizeof decoder);
    memset(&progress, 0, sizeof progress);
    memset(&source, 0, sizeof source);
    JSAMPLE *volatile cmyk_row = NULL;
    if (setjmp(handler.escape) == 0) {
        prepare_decoder(&decoder, &handler, &progress, &source, data, size, result);
        jpeg_read_header(&decoder, TRUE);
        result->width = decoder.image_width;
        result->height = decoder.image_height;

        int four_channel = decoder.jpeg_color_space == JCS_CMYK || decoder.jpeg_color_space == JCS_YCCK;
        decoder.out_color_space = four_channel ? JCS_CMYK : JCS_RGB;
        jpeg_start_decompress(&decoder);

        size_t row_bytes = (size_t)decoder.output_width * 3;
        if (capacity != row_bytes * decoder.output_height || decoder.output_width != decoder.image_width) {
            codec_result_fail(result, IMAGE_CODEC_CORRUPT, "image size changed between reads");
        } else if (four_channel && (cmyk_row = malloc((size_t)decoder.output_width * 4)) == NULL) {
            codec_result_fail(result, IMAGE_CODEC_NO_MEMORY, "out of memory");
        } else {
            int inverted = decoder.saw_Adobe_marker;
            while (decoder.output_scanline < decoder.output_height) {
                uint8_t *row = rgb + (size_t)decoder.output_scanline * row_bytes;
                JSAMPROW target = four_channel ? cmyk_row : row;
                if (jpeg_read_scanlines(&decoder, &target, 1) != 1) {
                    codec_result_fail(result, IMAGE_CODEC_TRUNCATED, "the file ends inside the image data");
                    break;
                }
                if (four_channel) cmyk_row_to_rgb(cmyk_row, row, decoder.output_width, inverted);
            }
            // Running out of data is harmless only when it cost no image data: a single-scan file
            // whose entropy decoder never went short. A multi-scan file may have lost whole scans.
            // (No jpeg_finish_decompress: it would look for the EOI that may be missing.)
            if (handler.data_ran_out && (handler.scan_ran_short || jpeg_has_multiple_scans(&decoder)))
                codec_result_fail(result, IMAGE_CODEC_TRUNCATED, "the file ends inside the image data");
        }
    }
    free(cmyk_row);
    jpeg_destroy_decompress(&decoder);
}
