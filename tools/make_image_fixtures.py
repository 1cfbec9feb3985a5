#!/usr/bin/env python3
"""Generates Tests/Fixtures/images/: small PNG and JPEG files covering every layout the decoders
handle, the 8-bit RGB each must decode to (`<name>.rgb`, raw row-major bytes), broken files for the
error paths, and manifest.json tying them together for Tests/SegmentationTests.

Run with the reference venv (Pillow, numpy) from the repository root:
    /tmp/ref/bin/python tools/make_image_fixtures.py
A C compiler and libjpeg's headers are needed for the YCCK file (tools/make_ycck_jpeg.c).

PNGs are written by hand here, because Pillow cannot write 16-bit RGB, low bit depths, Adam7 or
every filter type; their expected pixels come from the arrays they were made from, and Pillow
decodes each as a cross-check. JPEG expectations are Pillow's decoding (after
ImageOps.exif_transpose for the orientation files); tests compare those with a tolerance.
"""

import json
import pathlib
import struct
import subprocess
import tempfile
import warnings
import zlib

import numpy as np
from PIL import Image, ImageOps

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "images"
SEED = 20240611

# Odd sizes, so no row is a whole number of bytes at low bit depths and no side is a whole
# number of JPEG blocks.
PNG_WIDTH, PNG_HEIGHT = 13, 7
JPEG_WIDTH, JPEG_HEIGHT = 29, 17

manifest = []


# --- PNG, by hand -------------------------------------------------------------------------------

def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pack_row(samples: np.ndarray, bit_depth: int) -> bytes:
    """One row of samples (already flattened across channels) as PNG stores it."""
    if bit_depth == 16:
        return samples.astype(">u2").tobytes()
    if bit_depth == 8:
        return samples.astype(np.uint8).tobytes()
    per_byte = 8 // bit_depth
    out = bytearray()
    for start in range(0, len(samples), per_byte):
        byte = 0
        for i, value in enumerate(samples[start:start + per_byte]):
            byte |= int(value) << (8 - bit_depth * (i + 1))
        out.append(byte)
    return bytes(out)


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind: int, row: bytes, prior: bytes, bpp: int) -> bytes:
    out = bytearray([kind])
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - predictor) & 0xFF)
    return bytes(out)


def scanlines(samples: np.ndarray, bit_depth: int, channels: int, first_filter: int) -> bytes:
    """Filtered rows of one (sub)image, cycling through all five filter types."""
    height, width = samples.shape[:2]
    bpp = max(1, channels * bit_depth // 8)
    rows = [pack_row(samples[y].reshape(-1), bit_depth) for y in range(height)]
    prior = bytes(len(rows[0]))
    data = bytearray()
    for y, row in enumerate(rows):
        data += filter_row((first_filter + y) % 5, row, prior, bpp)
        prior = row
    return bytes(data)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(name, samples, color_type, bit_depth, palette=None, trns=None, interlaced=False,
              extra_chunks=(), idat_pieces=1):
    """samples: (height, width, channels) integers as stored (palette indices for colour type 3)."""
    height, width, channels = samples.shape
    if interlaced:
        data = b""
        for number, (x0, y0, dx, dy) in enumerate(ADAM7):
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                data += scanlines(sub, bit_depth, channels, number)
    else:
        data = scanlines(samples, bit_depth, channels, 0)
    compressed = zlib.compress(data, 9)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 1 if interlaced else 0)
    body = png_chunk(b"IHDR", ihdr)
    for kind, chunk_data in extra_chunks:
        body += png_chunk(kind, chunk_data)
    if palette is not None:
        body += png_chunk(b"PLTE", np.asarray(palette, dtype=np.uint8).tobytes())
    if trns is not None:
        body += png_chunk(b"tRNS", trns)
    cut = [len(compressed) * i // idat_pieces for i in range(idat_pieces + 1)]
    for start, end in zip(cut, cut[1:]):
        body += png_chunk(b"IDAT", compressed[start:end])
    body += png_chunk(b"IEND", b"")
    (OUT / name).write_bytes(b"\x89PNG\r\n\x1a\n" + body)


def to_8bit(samples: np.ndarray, bit_depth: int) -> np.ndarray:
    samples = samples.astype(np.int64)
    if bit_depth == 16:
        return (2 * samples + 257) // 514  # round(v * 255 / 65535)
    return samples * (255 // (2 ** bit_depth - 1))


def gray_to_rgb(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[:, :, :1], 3, axis=2)


def add_png(name, samples, color_type, bit_depth, expected_rgb, pillow_check=True, **options):
    write_png(name, samples, color_type, bit_depth, **options)
    expected = np.asarray(expected_rgb, dtype=np.uint8)
    if pillow_check:
        with warnings.catch_warnings():  # Pillow suggests RGBA for palettes with tRNS; we mean RGB
            warnings.simplefilter("ignore")
            decoded = np.asarray(Image.open(OUT / name).convert("RGB"))
        assert np.array_equal(decoded, expected), f"Pillow disagrees about {name}"
    add_expected(name, expected, "exact")


def add_expected(name, expected, comparison):
    expected_name = name + ".rgb"
    (OUT / expected_name).write_bytes(np.ascontiguousarray(expected, dtype=np.uint8).tobytes())
    manifest.append({"file": name, "width": int(expected.shape[1]), "height": int(expected.shape[0]),
                     "expected": expected_name, "comparison": comparison})


def make_pngs(rng):
    shape = (PNG_HEIGHT, PNG_WIDTH)
    gray8 = rng.integers(0, 256, shape + (1,))
    gray16 = rng.integers(0, 65536, shape + (1,))
    gray16[0, :6, 0] = [128, 129, 257 * 7 + 128, 257 * 7 + 129, 0, 65535]  # rounding edges
    alpha8 = rng.integers(0, 256, shape + (1,))
    alpha16 = rng.integers(0, 65536, shape + (1,))
    rgb8 = rng.integers(0, 256, shape + (3,))
    rgb16 = rng.integers(0, 65536, shape + (3,))

    add_png("png_gray8.png", gray8, 0, 8, gray_to_rgb(gray8))
    add_png("png_gray16.png", gray16, 0, 16, gray_to_rgb(to_8bit(gray16, 16)), pillow_check=False)
    assert np.array_equal(np.asarray(Image.open(OUT / "png_gray16.png")), gray16[:, :, 0]), "Pillow 16-bit gray"
    for depth in (1, 2, 4):
        low = rng.integers(0, 2 ** depth, shape + (1,))
        add_png(f"png_gray{depth}.png", low, 0, depth, gray_to_rgb(to_8bit(low, depth)))
    add_png("png_gray8_trns.png", gray8, 0, 8, gray_to_rgb(gray8), trns=struct.pack(">H", int(gray8[0, 0, 0])))
    add_png("png_gray_alpha8.png", np.concatenate([gray8, alpha8], axis=2), 4, 8, gray_to_rgb(gray8))
    add_png("png_gray_alpha16.png", np.concatenate([gray16, alpha16], axis=2), 4, 16,
            gray_to_rgb(to_8bit(gray16, 16)), pillow_check=False)

    palette = rng.integers(0, 256, (20, 3))
    indices = rng.integers(0, 20, shape + (1,))
    add_png("png_palette8.png", indices, 3, 8, palette[indices[:, :, 0]], palette=palette)
    palette16 = palette[:16]
    indices16 = rng.integers(0, 16, shape + (1,))
    alphas = bytes(rng.integers(0, 256, 10).astype(np.uint8))  # tRNS may be shorter than PLTE
    add_png("png_palette4_trns.png", indices16, 3, 4, palette16[indices16[:, :, 0]], palette=palette16, trns=alphas)

    add_png("png_rgb8.png", rgb8, 2, 8, rgb8)
    add_png("png_rgb16.png", rgb16, 2, 16, to_8bit(rgb16, 16), pillow_check=False)
    add_png("png_rgba8.png", np.concatenate([rgb8, alpha8], axis=2), 6, 8, rgb8)
    add_png("png_rgba16.png", np.concatenate([rgb16, alpha16], axis=2), 6, 16, to_8bit(rgb16, 16), pillow_check=False)

    add_png("png_rgb8_interlaced.png", rgb8, 2, 8, rgb8, interlaced=True, idat_pieces=3)
    add_png("png_rgba16_interlaced.png", np.concatenate([rgb16, alpha16], axis=2), 6, 16, to_8bit(rgb16, 16),
            pillow_check=False, interlaced=True)
    add_png("png_gray1_interlaced.png", gray8 >> 7, 0, 1, gray_to_rgb((gray8 >> 7) * 255), interlaced=True)
    # Samples are used as stored: a gAMA chunk (here 1.0, linear) must not change them.
    add_png("png_rgb8_gamma.png", rgb8, 2, 8, rgb8, extra_chunks=[(b"gAMA", struct.pack(">I", 100000))])

    # Broken files.
    whole = (OUT / "png_rgb8.png").read_bytes()
    idat = whole.index(b"IDAT")
    (OUT / "png_truncated.png").write_bytes(whole[:idat + 40])
    manifest.append({"file": "png_truncated.png", "error": "truncated PNG file"})

    huge = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 50000, 50000, 8, 2, 0, 0, 0))
    huge += png_chunk(b"IDAT", zlib.compress(bytes(1 + 3 * 50000))) + png_chunk(b"IEND", b"")
    (OUT / "png_huge_50000x50000.png").write_bytes(huge)
    manifest.append({"file": "png_huge_50000x50000.png",
                     "error": "image is 50000x50000 = 2500 megapixels, over the limit of 100"})

    bad_crc = bytearray(whole)
    idat_length = struct.unpack(">I", whole[idat - 4:idat])[0]
    bad_crc[idat + 4 + idat_length] ^= 0xFF  # the checksum itself, so the data still inflates
    (OUT / "png_bad_crc.png").write_bytes(bytes(bad_crc))
    manifest.append({"file": "png_bad_crc.png", "error": "corrupt PNG file: IDAT: CRC error"})


# --- JPEG, by Pillow -----------------------------------------------------------------------------

def upright_picture() -> np.ndarray:
    """Smooth enough to survive JPEG, lopsided enough that any wrong turn or flip shows."""
    y, x = np.mgrid[0:JPEG_HEIGHT, 0:JPEG_WIDTH]
    picture = np.zeros((JPEG_HEIGHT, JPEG_WIDTH, 3), dtype=np.int64)
    picture[..., 0] = 40 + x * 200 // (JPEG_WIDTH - 1)
    picture[..., 1] = 40 + y * 200 // (JPEG_HEIGHT - 1)
    picture[..., 2] = 140
    picture[:6, :8] = (15, 15, 15)          # dark block, top left
    picture[-5:, -9:] = (250, 250, 120)     # bright block, bottom right
    return picture.astype(np.uint8)


def exif_block(orientation: int, big_endian: bool) -> bytes:
    """APP1 payload: "Exif\\0\\0" and a TIFF block whose IFD0 has Make, then Orientation."""
    order = ">" if big_endian else "<"
    header = (b"MM" if big_endian else b"II") + struct.pack(order + "HI", 42, 8)
    make = b"samterm\0"
    ifd_size = 2 + 2 * 12 + 4
    entries = struct.pack(order + "HHII", 0x010F, 2, len(make), 8 + ifd_size)
    entries += struct.pack(order + "HHIHH", 0x0112, 3, 1, orientation, 0)
    ifd = struct.pack(order + "H", 2) + entries + struct.pack(order + "I", 0)
    return b"Exif\0\0" + header + ifd + make


def jpeg_expected(name) -> np.ndarray:
    with Image.open(OUT / name) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


def add_jpeg(name, image: Image.Image, close_to=None, tolerance=12, **save_options):
    image.save(OUT / name, "JPEG", **save_options)
    expected = jpeg_expected(name)
    if close_to is not None:  # sanity: the expectation really is the picture we meant
        difference = np.abs(expected.astype(int) - close_to.astype(int))
        assert difference.mean() < tolerance, f"{name} differs from its source by {difference.mean():.1f}"
    add_expected(name, expected, "jpeg")


# Pillow's exif_transpose turns orientation n upright with these; the stored pictures need the inverse.
TO_STORED = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def make_jpegs():
    upright = upright_picture()
    image = Image.fromarray(upright, "RGB")
    add_jpeg("jpeg_baseline.jpg", image, upright, quality=90)
    add_jpeg("jpeg_baseline_444.jpg", image, upright, quality=95, subsampling=0)
    add_jpeg("jpeg_progressive.jpg", image, upright, quality=90, progressive=True)
    gray = image.convert("L")
    add_jpeg("jpeg_gray.jpg", gray, np.asarray(gray.convert("RGB")), quality=90)

    # CMYK with real black: Pillow stores it Adobe-style, inverted, with an Adobe marker.
    ink = 255 - upright.astype(int)
    black = ink.min(axis=2, keepdims=True)
    cmyk = np.concatenate([ink - black, black], axis=2).astype(np.uint8)
    add_jpeg("jpeg_cmyk_adobe.jpg", Image.fromarray(cmyk, "CMYK"), upright, quality=95)
    with tempfile.TemporaryDirectory() as scratch:
        tool = pathlib.Path(scratch) / "make_ycck_jpeg"
        subprocess.run(["cc", "-O2", "-o", str(tool), str(ROOT / "tools" / "make_ycck_jpeg.c"), "-ljpeg"], check=True)
        subprocess.run([str(tool), str(JPEG_WIDTH), str(JPEG_HEIGHT), str(OUT / "jpeg_ycck_adobe.jpg")],
                       input=(255 - cmyk).tobytes(), check=True)
    with Image.open(OUT / "jpeg_ycck_adobe.jpg") as ycck:
        assert ycck.mode == "CMYK" and "adobe" in ycck.info, "the YCCK file is not read as Adobe CMYK"
    expected = jpeg_expected("jpeg_ycck_adobe.jpg")
    assert np.abs(expected.astype(int) - upright.astype(int)).mean() < 12, "YCCK file differs from its source"
    add_expected("jpeg_ycck_adobe.jpg", expected, "jpeg")

    for orientation, transpose in TO_STORED.items():
        stored = image if transpose is None else image.transpose(transpose)
        name = f"jpeg_exif_orientation_{orientation}.jpg"
        add_jpeg(name, stored, upright, quality=95, subsampling=0,
                 exif=exif_block(orientation, big_endian=orientation % 2 == 1))
        with Image.open(OUT / name) as check:
            assert check.getexif().get(0x0112) == orientation, f"Pillow does not see orientation in {name}"

    # Broken files.
    whole = (OUT / "jpeg_baseline.jpg").read_bytes()
    (OUT / "jpeg_truncated.jpg").write_bytes(whole[: len(whole) * 3 // 5])
    manifest.append({"file": "jpeg_truncated.jpg", "error": "truncated JPEG file"})
    huge = bytearray(whole)
    frame = huge.index(b"\xff\xc0")
    huge[frame + 5:frame + 9] = struct.pack(">HH", 50000, 50000)
    (OUT / "jpeg_huge_50000x50000.jpg").write_bytes(bytes(huge))
    manifest.append({"file": "jpeg_huge_50000x50000.jpg",
                     "error": "image is 50000x50000 = 2500 megapixels, over the limit of 100"})


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    rng = np.random.default_rng(SEED)
    make_pngs(rng)
    make_jpegs()
    (OUT / "not_an_image.txt").write_text("This is a text file, not a picture.\n")
    manifest.append({"file": "not_an_image.txt", "error": "not a PNG or JPEG file"})
    manifest.sort(key=lambda entry: entry["file"])
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(path.stat().st_size for path in OUT.iterdir())
    print(f"wrote {len(manifest)} fixtures, {total} bytes, to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
