// Video frames on demand over FFmpeg's libavformat, libavcodec and libswscale, for the
// Segmentation library's VideoFile.
//
// A decoder opens one file, finds its best video stream and hands out frame i, counted from 0
// in presentation order, as packed RGB24 (width * height * 3 bytes, rows top to bottom) in a
// caller's buffer. Frames are decoded when asked for, never all up front: reading i after i - 1
// decodes on; reading behind the current position, or far ahead of it, seeks to the keyframe at
// or before i and decodes forward from there. Seeking uses an index of the stream's packet
// timestamps and keyframes, made by demuxing the file (no decoding) the first time it is needed,
// or when opening if the container does not say how many frames it holds.
//
// No FFmpeg type crosses this header. Errors come back as one line naming the file and the
// reason ("clip.mp4: not a video FFmpeg can read: moov atom not found"); FFmpeg's own log is
// kept off stderr and its last error line is added to these messages. A decoder is not safe
// for concurrent use: the caller serialises calls (VideoFile holds a lock).
#ifndef VIDEO_DECODER_H
#define VIDEO_DECODER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct video_decoder video_decoder;

typedef struct video_decoder_info {
    int32_t width;
    int32_t height;
    /// Frames per second (the stream's average rate, else its guessed rate); 0 when unknown.
    double frame_rate;
    int64_t frame_count;
    /// 1 when the container did not give the count and it was counted by demuxing the packets.
    int32_t frame_count_was_counted;
} video_decoder_info;

/// Work done so far, for tests and benchmarks.
typedef struct video_decoder_statistics {
    int64_t frames_decoded;  // frames the codec returned
    int64_t seeks;           // seeks to a keyframe
    int64_t reopens;         // restarts from the first frame (streams that cannot seek by timestamp)
    int32_t index_built;     // 1 once the packet index has been made
} video_decoder_statistics;

/// Opens `path` and its best video stream. Returns NULL on failure, with `error` (of
/// `error_size` bytes) holding the message. Frames larger than `max_pixels` are refused.
video_decoder *video_decoder_open(const char *path, int64_t max_pixels, char *error, size_t error_size);

void video_decoder_get_info(const video_decoder *decoder, video_decoder_info *info);

void video_decoder_get_statistics(const video_decoder *decoder, video_decoder_statistics *statistics);

/// Decodes frame `index` (0 ..< frame_count) into `rgb`, which holds `capacity` bytes, at least
/// width * height * 3. Returns 0, or -1 with `error` filled. A failed read leaves the decoder
/// usable: the next read starts again from a keyframe or from the beginning.
int video_decoder_read_rgb(video_decoder *decoder, int64_t index, uint8_t *rgb, size_t capacity,
                           char *error, size_t error_size);

void video_decoder_close(video_decoder *decoder);

#ifdef __cplusplus
}
#endif

#endif
