// See include/video_decoder.h. Frame numbers: frame i is the i-th frame in presentation order.
// Decoding forward from the start counts frames; after a seek, a decoded frame is known by its
// timestamp, looked up in the packet index (timestamps sorted, so position = frame number).

#include "video_decoder.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/// How far ahead of the next frame a read may be and still be reached by decoding on, before a
/// keyframe nearer to it is looked for.
enum { DECODE_AHEAD_LIMIT = 16 };

typedef struct index_entry {
    int64_t timestamp;
    int key;
} index_entry;

struct video_decoder {
    char *path;
    int64_t max_pixels;

    AVFormatContext *format;
    AVCodecContext *codec;
    int stream;
    AVPacket *packet;
    AVFrame *frame;  // the frame read last: frame number `current` when has_current

    int has_current;
    int64_t current;
    int64_t next;       // the number the next decoded frame will have
    int input_ended;    // the demuxer is done and the decoder has been sent its flush packet
    int needs_restart;  // an error left the decoder in an unknown state
    char read_problem[160];  // why the demuxer stopped early, when it did not end cleanly
    char demux_note[160];    // the demuxer's last logged error ("partial file"), kept for later messages
    int64_t known_end;       // frames there turned out to be when decoding stopped early; -1 until then
    char end_problem[160];   // and why, for the messages of later reads past it

    struct SwsContext *scaler;

    int width;
    int height;
    double frame_rate;
    int64_t frame_count;
    int counted;

    // The packet index: `timestamps` sorted (frame i has timestamps[i]); `keys` the frame
    // numbers of keyframes, ascending. index_state 0: not made yet, 1: made, -1: unusable for
    // seeking (timestamps missing or repeated).
    int index_state;
    int64_t index_count;
    int64_t *timestamps;
    int64_t key_count;
    int64_t *keys;

    video_decoder_statistics statistics;
};

// MARK: - FFmpeg's log

static _Thread_local char last_log_line[200];

static void log_callback(void *context, int level, const char *format, va_list arguments) {
    if (level > AV_LOG_ERROR) return;
    char line[sizeof last_log_line];
    int print_prefix = 0;
    va_list copy;
    va_copy(copy, arguments);
    av_log_format_line2(context, level, format, copy, line, sizeof line, &print_prefix);
    va_end(copy);
    size_t length = strlen(line);
    while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r' || line[length - 1] == ' ')) line[--length] = 0;
    if (length > 0) memcpy(last_log_line, line, length + 1);
}

static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void install_log_callback(void) {
    av_log_set_callback(log_callback);
}

static void clear_log(void) { last_log_line[0] = 0; }

// MARK: - Messages

static void fail(char *error, size_t size, const char *path, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/// "PATH: REASON", with FFmpeg's last logged error line added when it says something more.
static void fail(char *error, size_t size, const char *path, const char *format, ...) {
    if (error == NULL || size == 0) return;
    char reason[400];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(reason, sizeof reason, format, arguments);
    va_end(arguments);
    if (last_log_line[0] != 0 && strstr(reason, last_log_line) == NULL) {
        snprintf(error, size, "%s: %s (%s)", path, reason, last_log_line);
    } else {
        snprintf(error, size, "%s: %s", path, reason);
    }
}

static const char *describe(int code, char *buffer, size_t size) {
    if (av_strerror(code, buffer, size) < 0) snprintf(buffer, size, "error %d", code);
    return buffer;
}

// MARK: - Opening

/* Where decoding stands: nothing decoded, nothing wrong yet. */
static void reset_position(video_decoder *decoder) {
    decoder->has_current = 0;
    decoder->next = 0;
    decoder->input_ended = 0;
    decoder->needs_restart = 0;
    decoder->read_problem[0] = 0;
    decoder->demux_note[0] = 0;
}

static void close_input(video_decoder *decoder) {
    avcodec_free_context(&decoder->codec);
    avformat_close_input(&decoder->format);
    reset_position(decoder);
}

/// Opens the container and the decoder of its best video stream, positioned at the start.
static int open_input(video_decoder *decoder, char *error, size_t size) {
    char why[AV_ERROR_MAX_STRING_SIZE];
    struct stat status;
    if (stat(decoder->path, &status) == 0 && S_ISREG(status.st_mode) && status.st_size == 0) {
        fail(error, size, decoder->path, "the file is empty");
        return -1;
    }
    AVFormatContext *format = NULL;
    int code = avformat_open_input(&format, decoder->path, NULL, NULL);
    if (code < 0) {
        if (code == AVERROR(ENOENT) || code == AVERROR(EACCES) || code == AVERROR(EISDIR)) {
            fail(error, size, decoder->path, "cannot open the file: %s", describe(code, why, sizeof why));
        } else {
            fail(error, size, decoder->path, "not a video FFmpeg can read: %s", describe(code, why, sizeof why));
        }
        return -1;
    }
    code = avformat_find_stream_info(format, NULL);
    if (code < 0) {
        fail(error, size, decoder->path, "cannot read the streams: %s", describe(code, why, sizeof why));
        avformat_close_input(&format);
        return -1;
    }
    const AVCodec *codec = NULL;
    int stream = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (stream == AVERROR_STREAM_NOT_FOUND) {
        fail(error, size, decoder->path, "the file has no video stream");
        avformat_close_input(&format);
        return -1;
    }
    if (stream < 0 || codec == NULL) {
        const AVCodecParameters *parameters = stream >= 0 ? format->streams[stream]->codecpar : NULL;
        const char *name = parameters ? avcodec_get_name(parameters->codec_id) : "unknown";
        fail(error, size, decoder->path, "no decoder for its video codec (%s) in this FFmpeg", name);
        avformat_close_input(&format);
        return -1;
    }
    AVCodecContext *context = avcodec_alloc_context3(codec);
    if (context == NULL) {
        fail(error, size, decoder->path, "out of memory");
        avformat_close_input(&format);
        return -1;
    }
    code = avcodec_parameters_to_context(context, format->streams[stream]->codecpar);
    if (code >= 0) {
        context->pkt_timebase = format->streams[stream]->time_base;
        context->thread_count = 0;  // FFmpeg picks
        code = avcodec_open2(context, codec, NULL);
    }
    if (code < 0) {
        fail(error, size, decoder->path, "cannot open the %s decoder: %s", codec->name, describe(code, why, sizeof why));
        avcodec_free_context(&context);
        avformat_close_input(&format);
        return -1;
    }
    // Only the video stream's packets are wanted; the demuxer may skip the others cheaply.
    for (unsigned index = 0; index < format->nb_streams; index++) {
        if ((int)index != stream) format->streams[index]->discard = AVDISCARD_ALL;
    }
    decoder->format = format;
    decoder->codec = context;
    decoder->stream = stream;
    reset_position(decoder);
    return 0;
}

static int compare_entries(const void *a, const void *b) {
    const index_entry *left = a, *right = b;
    return (left->timestamp > right->timestamp) - (left->timestamp < right->timestamp);
}

/// Demuxes the whole file (no decoding) through a second context, so the decoding position is
/// untouched: counts the stream's frames and records their timestamps and keyframes.
static int build_index(video_decoder *decoder, char *error, size_t size) {
    char why[AV_ERROR_MAX_STRING_SIZE];
    AVFormatContext *format = NULL;
    int code = avformat_open_input(&format, decoder->path, NULL, NULL);
    if (code >= 0) code = avformat_find_stream_info(format, NULL);
    if (code < 0) {
        fail(error, size, decoder->path, "cannot read the file again to index it: %s", describe(code, why, sizeof why));
        avformat_close_input(&format);
        return -1;
    }
    if ((unsigned)decoder->stream >= format->nb_streams ||
        format->streams[decoder->stream]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) {
        fail(error, size, decoder->path, "the streams differ when the file is read again");
        avformat_close_input(&format);
        return -1;
    }
    for (unsigned index = 0; index < format->nb_streams; index++) {
        if ((int)index != decoder->stream) format->streams[index]->discard = AVDISCARD_ALL;
    }
    AVPacket *packet = av_packet_alloc();
    index_entry *entries = NULL;
    int64_t count = 0, capacity = 0;
    int usable = 1;
    while (packet != NULL && av_read_frame(format, packet) >= 0) {
        if (packet->stream_index == decoder->stream && !(packet->flags & AV_PKT_FLAG_DISCARD)) {
            if (count == capacity) {
                int64_t grown = capacity ? capacity * 2 : 1024;
                index_entry *larger = realloc(entries, (size_t)grown * sizeof *entries);
                if (larger == NULL) {
                    av_packet_unref(packet);
                    free(entries);
                    av_packet_free(&packet);
                    avformat_close_input(&format);
                    fail(error, size, decoder->path, "out of memory while indexing the frames");
                    return -1;
                }
                entries = larger;
                capacity = grown;
            }
            int64_t timestamp = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
            if (timestamp == AV_NOPTS_VALUE) usable = 0;
            entries[count].timestamp = timestamp;
            entries[count].key = (packet->flags & AV_PKT_FLAG_KEY) != 0;
            count++;
        }
        av_packet_unref(packet);
    }
    av_packet_free(&packet);
    avformat_close_input(&format);

    decoder->index_count = count;
    decoder->statistics.index_built = 1;
    if (!usable || count == 0) {
        free(entries);
        decoder->index_state = -1;
        return 0;
    }
    qsort(entries, (size_t)count, sizeof *entries, compare_entries);
    int64_t *timestamps = malloc((size_t)count * sizeof *timestamps);
    int64_t *keys = malloc((size_t)count * sizeof *keys);
    if (timestamps == NULL || keys == NULL) {
        free(timestamps);
        free(keys);
        free(entries);
        fail(error, size, decoder->path, "out of memory while indexing the frames");
        return -1;
    }
    int64_t key_count = 0;
    for (int64_t index = 0; index < count; index++) {
        timestamps[index] = entries[index].timestamp;
        if (index > 0 && timestamps[index] == timestamps[index - 1]) usable = 0;
        if (entries[index].key) keys[key_count++] = index;
    }
    free(entries);
    if (!usable || key_count == 0) {
        free(timestamps);
        free(keys);
        decoder->index_state = -1;
        return 0;
    }
    decoder->timestamps = timestamps;
    decoder->keys = keys;
    decoder->key_count = key_count;
    decoder->index_state = 1;
    return 0;
}

video_decoder *video_decoder_open(const char *path, int64_t max_pixels, char *error, size_t error_size) {
    pthread_once(&log_once, install_log_callback);
    clear_log();
    if (error && error_size) error[0] = 0;
    video_decoder *decoder = calloc(1, sizeof *decoder);
    size_t path_size = strlen(path) + 1;
    if (decoder == NULL || (decoder->path = malloc(path_size)) == NULL) {
        free(decoder);
        fail(error, error_size, path, "out of memory");
        return NULL;
    }
    memcpy(decoder->path, path, path_size);
    decoder->max_pixels = max_pixels;
    decoder->known_end = -1;
    decoder->packet = av_packet_alloc();
    decoder->frame = av_frame_alloc();
    if (decoder->packet == NULL || decoder->frame == NULL) {
        fail(error, error_size, path, "out of memory");
        video_decoder_close(decoder);
        return NULL;
    }
    if (open_input(decoder, error, error_size) < 0) {
        video_decoder_close(decoder);
        return NULL;
    }
    AVStream *stream = decoder->format->streams[decoder->stream];
    decoder->width = stream->codecpar->width;
    decoder->height = stream->codecpar->height;
    if (decoder->width <= 0 || decoder->height <= 0) {
        fail(error, error_size, path, "the video stream does not say its frame size");
        video_decoder_close(decoder);
        return NULL;
    }
    if ((int64_t)decoder->width * decoder->height > max_pixels) {
        fail(error, error_size, path, "frames are %dx%d, over the limit of %lld pixels", decoder->width,
             decoder->height, (long long)max_pixels);
        video_decoder_close(decoder);
        return NULL;
    }
    AVRational rate = stream->avg_frame_rate;
    if (rate.num <= 0 || rate.den <= 0) rate = av_guess_frame_rate(decoder->format, stream, NULL);
    decoder->frame_rate = (rate.num > 0 && rate.den > 0) ? av_q2d(rate) : 0;

    if (stream->nb_frames > 0) {
        decoder->frame_count = stream->nb_frames;
    } else {
        if (build_index(decoder, error, error_size) < 0) {
            video_decoder_close(decoder);
            return NULL;
        }
        decoder->frame_count = decoder->index_count;
        decoder->counted = 1;
    }
    if (decoder->frame_count <= 0) {
        fail(error, error_size, path, "the video stream has no frames");
        video_decoder_close(decoder);
        return NULL;
    }
    return decoder;
}

void video_decoder_get_info(const video_decoder *decoder, video_decoder_info *info) {
    info->width = decoder->width;
    info->height = decoder->height;
    info->frame_rate = decoder->frame_rate;
    info->frame_count = decoder->frame_count;
    info->frame_count_was_counted = decoder->counted;
}

void video_decoder_get_statistics(const video_decoder *decoder, video_decoder_statistics *statistics) {
    *statistics = decoder->statistics;
}

void video_decoder_close(video_decoder *decoder) {
    if (decoder == NULL) return;
    avcodec_free_context(&decoder->codec);
    avformat_close_input(&decoder->format);
    av_packet_free(&decoder->packet);
    av_frame_free(&decoder->frame);
    sws_freeContext(decoder->scaler);
    free(decoder->timestamps);
    free(decoder->keys);
    free(decoder->path);
    free(decoder);
}

// MARK: - Decoding

enum { RECEIVED = 0, ENDED = 1, FAILED = -1 };

/// A decoding failure: FFmpeg's last log line if there is one, else what the demuxer last said.
static void fail_decoding(video_decoder *decoder, char *error, size_t size, int code) {
    char why[AV_ERROR_MAX_STRING_SIZE];
    describe(code, why, sizeof why);
    if (last_log_line[0] == 0 && decoder->demux_note[0] != 0) {
        fail(error, size, decoder->path, "cannot decode frame %lld: %s (%s)", (long long)decoder->next, why,
             decoder->demux_note);
    } else {
        fail(error, size, decoder->path, "cannot decode frame %lld: %s", (long long)decoder->next, why);
    }
}

/// The decoder's next frame into decoder->frame: RECEIVED, ENDED when the stream has no more,
/// or FAILED with `error` filled.
static int receive_next(video_decoder *decoder, char *error, size_t size) {
    char why[AV_ERROR_MAX_STRING_SIZE];
    for (;;) {
        int code = avcodec_receive_frame(decoder->codec, decoder->frame);
        if (code == 0) {
            decoder->statistics.frames_decoded++;
            return RECEIVED;
        }
        if (code == AVERROR_EOF) return ENDED;
        if (code != AVERROR(EAGAIN)) {
            fail_decoding(decoder, error, size, code);
            return FAILED;
        }
        if (decoder->input_ended) return ENDED;  // defensive: a drained decoder asks for nothing more
        last_log_line[0] = 0;
        code = av_read_frame(decoder->format, decoder->packet);
        if (last_log_line[0] != 0) snprintf(decoder->demux_note, sizeof decoder->demux_note, "%s", last_log_line);
        if (code < 0) {
            if (code != AVERROR_EOF) {
                snprintf(decoder->read_problem, sizeof decoder->read_problem, "%s%s%s", describe(code, why, sizeof why),
                         decoder->demux_note[0] ? ": " : "", decoder->demux_note);
            }
            decoder->input_ended = 1;
            // Drain the frames the decoder still holds. If even that fails, there are none to get.
            if (avcodec_send_packet(decoder->codec, NULL) < 0) return ENDED;
            continue;
        }
        if (decoder->packet->stream_index != decoder->stream) {
            av_packet_unref(decoder->packet);
            continue;
        }
        code = avcodec_send_packet(decoder->codec, decoder->packet);
        av_packet_unref(decoder->packet);
        if (code < 0 && code != AVERROR(EAGAIN)) {
            fail_decoding(decoder, error, size, code);
            return FAILED;
        }
    }
}

static int restart(video_decoder *decoder, char *error, size_t size) {
    close_input(decoder);
    decoder->statistics.reopens++;
    return open_input(decoder, error, size);
}

/// Position in `keys` of the last keyframe at or before frame `index` (or 0).
static int64_t key_position(const video_decoder *decoder, int64_t index) {
    int64_t low = 0, high = decoder->key_count - 1, found = 0;
    while (low <= high) {
        int64_t middle = low + (high - low) / 2;
        if (decoder->keys[middle] <= index) {
            found = middle;
            low = middle + 1;
        } else {
            high = middle - 1;
        }
    }
    return found;
}

/// Seeks to the keyframe before `index` and decodes up to it. Returns RECEIVED with the frame in
/// decoder->frame, ENDED when this did not reach it (the caller then starts from the beginning),
/// or FAILED.
static int seek_to(video_decoder *decoder, int64_t index, char *error, size_t size) {
    int64_t target = decoder->timestamps[index];
    // A demuxer may land after the keyframe asked for (timestamps it seeks by differ from the
    // presentation ones): then try the keyframe before, a few times.
    int64_t position = key_position(decoder, index);
    for (int attempt = 0; attempt < 3 && position >= 0; attempt++, position--) {
        int64_t key_timestamp = decoder->timestamps[decoder->keys[position]];
        decoder->statistics.seeks++;
        if (av_seek_frame(decoder->format, decoder->stream, key_timestamp, AVSEEK_FLAG_BACKWARD) < 0) return ENDED;
        avcodec_flush_buffers(decoder->codec);
        decoder->has_current = 0;
        decoder->input_ended = 0;
        decoder->read_problem[0] = 0;
        for (;;) {
            int status = receive_next(decoder, error, size);
            if (status == FAILED) return FAILED;
            if (status == ENDED) break;
            int64_t timestamp = decoder->frame->best_effort_timestamp;
            if (timestamp == AV_NOPTS_VALUE) return ENDED;
            if (timestamp < target) continue;
            if (timestamp == target) {
                decoder->has_current = 1;
                decoder->current = index;
                decoder->next = index + 1;
                return RECEIVED;
            }
            break;  // past it: this keyframe comes after the frame
        }
    }
    return ENDED;
}

static int convert(video_decoder *decoder, uint8_t *rgb, char *error, size_t size) {
    AVFrame *frame = decoder->frame;
    decoder->scaler = sws_getCachedContext(decoder->scaler, frame->width, frame->height, frame->format,
                                           decoder->width, decoder->height, AV_PIX_FMT_RGB24,
                                           SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
    if (decoder->scaler == NULL) {
        const char *name = av_get_pix_fmt_name(frame->format);
        fail(error, size, decoder->path, "cannot convert frame %lld (%dx%d %s) to RGB", (long long)decoder->current,
             frame->width, frame->height, name ? name : "unknown pixel format");
        return -1;
    }
    // The stream's colour matrix and range (BT.601 when unsaid, as FFmpeg's own tools assume);
    // RGB comes out full range. Refused for RGB sources, where there is nothing to set.
    int space = frame->colorspace == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : (int)frame->colorspace;
    const int *coefficients = sws_getCoefficients(space);
    int full_range = frame->color_range == AVCOL_RANGE_JPEG;
    enum AVPixelFormat pixel_format = frame->format;
    if (pixel_format == AV_PIX_FMT_YUVJ420P || pixel_format == AV_PIX_FMT_YUVJ422P ||
        pixel_format == AV_PIX_FMT_YUVJ444P || pixel_format == AV_PIX_FMT_YUVJ440P) full_range = 1;
    sws_setColorspaceDetails(decoder->scaler, coefficients, full_range, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0,
                             1 << 16, 1 << 16);
    uint8_t *planes[4] = {rgb, NULL, NULL, NULL};
    int strides[4] = {decoder->width * 3, 0, 0, 0};
    int rows = sws_scale(decoder->scaler, (const uint8_t *const *)frame->data, frame->linesize, 0, frame->height,
                         planes, strides);
    if (rows != decoder->height) {
        fail(error, size, decoder->path, "cannot convert frame %lld to RGB", (long long)decoder->current);
        return -1;
    }
    return 0;
}

static int ended_before(video_decoder *decoder, int64_t index, char *error, size_t size) {
    if (decoder->known_end < 0 || decoder->next < decoder->known_end) {
        decoder->known_end = decoder->next;
        snprintf(decoder->end_problem, sizeof decoder->end_problem, "%s",
                 decoder->read_problem[0] ? decoder->read_problem : decoder->demux_note);
    }
    if (decoder->end_problem[0]) {
        fail(error, size, decoder->path, "frame %lld cannot be read: the video stops after %lld frames of %lld (%s)",
             (long long)index, (long long)decoder->known_end, (long long)decoder->frame_count, decoder->end_problem);
    } else {
        fail(error, size, decoder->path, "frame %lld cannot be read: the video stops after %lld frames of %lld",
             (long long)index, (long long)decoder->known_end, (long long)decoder->frame_count);
    }
    decoder->needs_restart = 1;
    return -1;
}

/// Brings frame `index` into decoder->frame.
static int reach(video_decoder *decoder, int64_t index, char *error, size_t size) {
    // Past where decoding stopped before: fail at once rather than decode the whole file again.
    if (decoder->known_end >= 0 && index >= decoder->known_end) return ended_before(decoder, index, error, size);
    if (decoder->needs_restart) {
        if (restart(decoder, error, size) < 0) return -1;
    }
    if (decoder->has_current && decoder->current == index) return 0;

    int behind = index < decoder->next;
    int far_ahead = index > decoder->next + DECODE_AHEAD_LIMIT;
    if ((behind || far_ahead) && decoder->index_state == 0) {
        if (build_index(decoder, error, size) < 0) return -1;
    }
    // With the index at hand, a keyframe between the next frame and this one is a shorter way.
    if (decoder->index_state == 1 && index < decoder->index_count) {
        int64_t key = decoder->keys[key_position(decoder, index)];
        if (behind || key > decoder->next) {
            int status = seek_to(decoder, index, error, size);
            if (status == RECEIVED) return 0;
            if (status == FAILED) {
                decoder->needs_restart = 1;
                return -1;
            }
            behind = 1;  // the seek did not reach it: start from the beginning
        }
    }
    if (behind) {
        if (restart(decoder, error, size) < 0) return -1;
    }
    while (decoder->next <= index) {
        int status = receive_next(decoder, error, size);
        if (status == FAILED) {
            decoder->needs_restart = 1;
            return -1;
        }
        if (status == ENDED) return ended_before(decoder, index, error, size);
        decoder->has_current = 1;
        decoder->current = decoder->next++;
    }
    return 0;
}

int video_decoder_read_rgb(video_decoder *decoder, int64_t index, uint8_t *rgb, size_t capacity, char *error,
                           size_t error_size) {
    clear_log();
    if (error && error_size) error[0] = 0;
    if (index < 0 || index >= decoder->frame_count) {
        fail(error, error_size, decoder->path, "frame %lld is outside the video's %lld frames (0...%lld)",
             (long long)index, (long long)decoder->frame_count, (long long)decoder->frame_count - 1);
        return -1;
    }
    if (capacity < (size_t)decoder->width * (size_t)decoder->height * 3) {
        fail(error, error_size, decoder->path, "the buffer for frame %lld is too small", (long long)index);
        return -1;
    }
    if (decoder->format == NULL) {
        if (open_input(decoder, error, error_size) < 0) return -1;
    }
    if (reach(decoder, index, error, error_size) < 0) return -1;
    if (convert(decoder, rgb, error, error_size) < 0) return -1;
    return 0;
}
