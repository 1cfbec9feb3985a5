#!/usr/bin/env python3
"""Generates Tests/Fixtures/video/: two tiny H.264 clips for the VideoFile tests.

12 frames of 64x48 at 12 fps: frame n is Tests/Fixtures/sam2/image_wide.png rolled (with
wrap-around) 2n rows down and 5n columns right, so every frame differs and the content moves.
The tests rebuild these frames the same way and compare what they decode with them.

  sample.mp4  libx264, a keyframe every 4 frames (GOP 4, no scene-cut keyframes), 2 B-frames
              (so decoding order is not presentation order), +faststart (the index first, so a
              truncated copy still opens and fails on its missing frames); the MP4 stores its
              frame count.
  sample.mkv  the same H.264 stream copied into Matroska, which stores no frame count: the
              reader counts the packets.

Made once with Debian 12's ffmpeg (5.1) and numpy/Pillow, from the repository root:
    .venv/bin/python tools/make_video_samples.py
"""

import pathlib
import subprocess

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "video"
FRAMES = 12
ROWS_PER_FRAME, COLUMNS_PER_FRAME = 2, 5


def frames():
    image = np.asarray(Image.open(ROOT / "Tests" / "Fixtures" / "sam2" / "image_wide.png").convert("RGB"))
    return [np.roll(image, (ROWS_PER_FRAME * n, COLUMNS_PER_FRAME * n), axis=(0, 1)) for n in range(FRAMES)]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    raw = b"".join(np.ascontiguousarray(frame).tobytes() for frame in frames())
    height, width = frames()[0].shape[:2]
    mp4 = OUT / "sample.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
         "-r", "12", "-i", "-", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "16", "-g", "4",
         "-keyint_min", "4", "-sc_threshold", "0", "-bf", "2", "-x264-params", "open-gop=0",
         "-movflags", "+faststart", "-map_metadata", "-1", str(mp4)],
        input=raw, check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(mp4), "-c", "copy", "-map_metadata", "-1",
                    str(OUT / "sample.mkv")], check=True)
    for path in (mp4, OUT / "sample.mkv"):
        print(path.relative_to(ROOT), path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
