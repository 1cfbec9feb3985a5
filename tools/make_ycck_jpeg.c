// Writes a YCCK JPEG with an Adobe marker, as Photoshop does, for tools/make_image_fixtures.py
// (Pillow cannot write YCCK). Usage: make_ycck_jpeg WIDTH HEIGHT OUT.jpg < inverted-CMYK bytes
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s WIDTH HEIGHT OUT.jpg < cmyk\n", argv[0]);
        return 2;
    }
    int width = atoi(argv[1]), height = atoi(argv[2]);
    size_t size = (size_t)width * height * 4;
    unsigned char *cmyk = malloc(size);
    if (cmyk == NULL || fread(cmyk, 1, size, stdin) != size) {
        fprintf(stderr, "expected %zu bytes of CMYK on stdin\n", size);
        return 1;
    }
    FILE *out = fopen(argv[3], "wb");
    if (out == NULL) {
        perror(argv[3]);
        return 1;
    }
    struct jpeg_compress_struct encoder;
    struct jpeg_error_mgr errors;
    encoder.err = jpeg_std_error(&errors);
    jpeg_create_compress(&encoder);
    jpeg_stdio_dest(&encoder, out);
    encoder.image_width = width;
    encoder.image_height = height;
    encoder.input_components = 4;
    encoder.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&encoder);
    jpeg_set_colorspace(&encoder, JCS_YCCK);  // also turns the Adobe marker on
    jpeg_set_quality(&encoder, 95, TRUE);
    jpeg_start_compress(&encoder, TRUE);
    while (encoder.next_scanline < encoder.image_height) {
        JSAMPROW row = cmyk + (size_t)encoder.next_scanline * width * 4;
        jpeg_write_scanlines(&encoder, &row, 1);
    }
    jpeg_finish_compress(&encoder);
    jpeg_destroy_compress(&encoder);
    fclose(out);
    free(cmyk);
    return 0;
}
