/*
 * sam_engine.h — the whole public surface of samterm's Segment Anything engine.
 *
 * Opaque handles, plain structs, status codes. No C++ type and no exception crosses
 * this header. Every call that can fail returns a sam_status and, when `error` is not
 * NULL, writes one human-readable line into it (naming the file or argument at fault).
 *
 * Threading: a sam_model / sam_predictor must be used from one thread at a time.
 * Checkpoint handles are immutable after opening and may be read from any thread.
 */
#ifndef SAM_ENGINE_H
#define SAM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ status */

typedef enum sam_status {
    SAM_OK = 0,
    SAM_ERROR_IO = 1,       /* a file is missing, unreadable or unwritable */
    SAM_ERROR_FORMAT = 2,   /* bytes are not in the expected format */
    SAM_ERROR_ARGUMENT = 3, /* the caller passed something invalid */
    SAM_ERROR_MODEL = 4,    /* the checkpoint does not fit the model preset */
    SAM_ERROR_DEVICE = 5,   /* the requested device is not available */
    SAM_ERROR_INTERNAL = 6, /* anything else (a LibTorch error, out of memory) */
    SAM_CANCELLED = 7,      /* a progress callback asked to stop; nothing was returned */
} sam_status;

#define SAM_ERROR_CAPACITY 1024
typedef struct sam_error {
    char message[SAM_ERROR_CAPACITY]; /* NUL-terminated; empty when status is SAM_OK */
} sam_error;

/* One line describing the runtime: LibTorch version, BLAS in use, threads, CUDA. */
const char *sam_system_info(void);

/* What this LibTorch can run on. */
typedef struct sam_runtime_info {
    int32_t torch_version[3];  /* major, minor, patch */
    int32_t cuda_built;        /* nonzero: this LibTorch has CUDA (libtorch_cuda is loaded) */
    int32_t cuda_devices;      /* CUDA devices it sees (0 without CUDA or without a GPU) */
} sam_runtime_info;
sam_runtime_info sam_runtime(void);
/* The name of CUDA device `index` (e.g. "NVIDIA H100 80GB HBM3"), or "" when unknown. */
const char *sam_cuda_device_name(int32_t index);

/* ------------------------------------------------------------- checkpoints */
/* Official torch.save archives (SAM 2/2.1 `{"model": state_dict}`, SAM 1 bare state_dict),
 * read without Python and without torch::pickle_load. */

typedef struct sam_checkpoint sam_checkpoint;

typedef enum sam_dtype {
    SAM_DTYPE_FLOAT32 = 0,
    SAM_DTYPE_FLOAT16 = 1,
    SAM_DTYPE_BFLOAT16 = 2,
    SAM_DTYPE_INT64 = 3,
    SAM_DTYPE_INT32 = 4,
    SAM_DTYPE_UINT8 = 5,
    SAM_DTYPE_BOOL = 6,
    SAM_DTYPE_FLOAT64 = 7,
    SAM_DTYPE_INT16 = 8,
    SAM_DTYPE_INT8 = 9,
} sam_dtype;

#define SAM_MAX_RANK 8
typedef struct sam_tensor_info {
    const char *name; /* owned by the checkpoint */
    sam_dtype dtype;
    int32_t rank;
    int64_t shape[SAM_MAX_RANK];
    int64_t strides[SAM_MAX_RANK]; /* in elements */
    int64_t storage_offset;        /* in elements */
    int64_t numel;
} sam_tensor_info;

sam_status sam_checkpoint_open(const char *path, sam_checkpoint **out, sam_error *error);
/* Reads from memory (the bytes are copied); `name` is used in error messages. */
sam_status sam_checkpoint_open_bytes(const void *bytes, size_t size, const char *name,
                                     sam_checkpoint **out, sam_error *error);
void sam_checkpoint_free(sam_checkpoint *checkpoint);

size_t sam_checkpoint_tensor_count(const sam_checkpoint *checkpoint);
sam_status sam_checkpoint_tensor_info(const sam_checkpoint *checkpoint, size_t index,
                                      sam_tensor_info *out, sam_error *error);
/* The tensor's values in row-major order of its shape, converted to double. */
sam_status sam_checkpoint_tensor_values(const sam_checkpoint *checkpoint, size_t index,
                                        double *out, size_t count, sam_error *error);
/* Detected model: "sam2.1_hiera_t", ..., "sam_vit_b", ..., or "unknown". Static string. */
const char *sam_checkpoint_model_name(const sam_checkpoint *checkpoint);

/* ------------------------------------------------------------------ models */

typedef struct sam_model sam_model;

/* Which code computes. The CPU has hand-written kernels and a decoder plan (the same function,
 * computed faster); every other device runs the device-independent ATen path, which GENERIC
 * makes the CPU take too, so that the code a GPU runs is tested on the CPU. */
typedef enum sam_kernels {
    SAM_KERNELS_AUTO = 0,    /* the CPU's own kernels on the CPU, the generic path elsewhere */
    SAM_KERNELS_GENERIC = 1, /* the generic path everywhere */
} sam_kernels;

/* Floating-point precision of the model's products, as torch.autocast runs them (layer norms,
 * softmax and the outputs stay float32). Lower precisions run the generic path. */
typedef enum sam_precision {
    SAM_PRECISION_AUTO = 0, /* bfloat16 on a CUDA device that supports it, else float32 */
    SAM_PRECISION_FP32 = 1,
    SAM_PRECISION_BF16 = 2,
    SAM_PRECISION_FP16 = 3,
} sam_precision;

/* The order in which the CPU's decoder plan evaluates attentions between the image and the
 * prompt tokens (both give the same result; the tests run each). */
typedef enum sam_decoder_order {
    SAM_DECODER_ORDER_AUTO = 0,      /* whichever needs fewer multiply-adds */
    SAM_DECODER_ORDER_REFERENCE = 1, /* project the image tokens, as the reference does */
    SAM_DECODER_ORDER_REORDERED = 2, /* fold the projections into the token side */
} sam_decoder_order;

/* Zero-initialise, then set what differs from the defaults. */
typedef struct sam_model_options {
    const char *model_name;          /* NULL: detect from the checkpoint */
    const char *device;              /* "auto" (NULL), "cpu" or "cuda" */
    int32_t threads;                 /* 0: LibTorch's default */
    sam_kernels kernels;
    sam_precision precision;
    sam_decoder_order decoder_order;
} sam_model_options;

sam_status sam_model_load(const char *checkpoint_path, const sam_model_options *options,
                          sam_model **out, sam_error *error);
void sam_model_free(sam_model *model);
const char *sam_model_name(const sam_model *model);   /* e.g. "sam2.1_hiera_t" */
const char *sam_model_device(const sam_model *model); /* "cpu" or "cuda" */
/* "cpu-kernels" or "generic": the path sam_kernels resolved to for this model. */
const char *sam_model_kernels(const sam_model *model);
/* "fp32", "bf16" or "fp16": the precision sam_precision resolved to. */
const char *sam_model_precision(const sam_model *model);
/* Side of the square low-resolution logits (256 for every official model). */
int32_t sam_model_low_res_size(const sam_model *model);

/* --------------------------------------------------------------- predictor */
/* Semantics of the official SAM2ImagePredictor: set an image once, then predict often. */

typedef struct sam_predictor sam_predictor;

sam_status sam_predictor_new(sam_model *model, sam_predictor **out, sam_error *error);
void sam_predictor_free(sam_predictor *predictor);

/* `rgb` is width*height*3 bytes, row-major, no padding. */
sam_status sam_predictor_set_image(sam_predictor *predictor, const uint8_t *rgb, int32_t width,
                                   int32_t height, sam_error *error);
int32_t sam_predictor_has_image(const sam_predictor *predictor);

/* The image embedding as a file, for the editor's cache. `image_key` identifies the image
 * content (a hash); loading fails with SAM_ERROR_FORMAT when the file was made by another
 * model or for another key. */
sam_status sam_predictor_save_embedding(const sam_predictor *predictor, const char *path,
                                        const char *image_key, sam_error *error);
sam_status sam_predictor_load_embedding(sam_predictor *predictor, const char *path,
                                        const char *image_key, sam_error *error);

typedef enum sam_point_label {
    SAM_LABEL_PADDING = -1,
    SAM_LABEL_BACKGROUND = 0,
    SAM_LABEL_FOREGROUND = 1,
    SAM_LABEL_BOX_TOP_LEFT = 2,
    SAM_LABEL_BOX_BOTTOM_RIGHT = 3,
} sam_point_label;

typedef struct sam_prompt {
    const float *points;       /* n_points (x, y) pairs, original-image pixels; may be NULL */
    const int32_t *labels;     /* n_points sam_point_label values */
    int32_t n_points;
    const float *box;          /* x0, y0, x1, y1 in original-image pixels, or NULL */
    const float *mask_input;   /* low_res_size^2 logits of an earlier prediction, or NULL */
    int32_t multimask;         /* nonzero: three candidates; zero: one */
} sam_prompt;

typedef struct sam_output_options {
    /* Size of the returned masks; 0 x 0 means the original image size. */
    int32_t mask_width;
    int32_t mask_height;
    /* Nonzero: upsample and return only the best-scoring candidate's mask (scores and
     * low-res logits of every candidate are still returned). */
    int32_t best_mask_only;
} sam_output_options;

typedef struct sam_prediction sam_prediction;

/* options may be NULL (masks at the original size, all candidates). */
sam_status sam_predictor_predict(sam_predictor *predictor, const sam_prompt *prompt,
                                 const sam_output_options *options, sam_prediction **out,
                                 sam_error *error);
void sam_prediction_free(sam_prediction *prediction);

int32_t sam_prediction_count(const sam_prediction *prediction);      /* candidates */
const float *sam_prediction_scores(const sam_prediction *prediction); /* count values */
int32_t sam_prediction_best(const sam_prediction *prediction);       /* argmax of scores */
int32_t sam_prediction_mask_width(const sam_prediction *prediction);
int32_t sam_prediction_mask_height(const sam_prediction *prediction);
/* width*height bytes, 1 inside and 0 outside; NULL for a candidate not upsampled. */
const uint8_t *sam_prediction_mask(const sam_prediction *prediction, int32_t index);
/* low_res_size^2 float logits of candidate `index`. */
const float *sam_prediction_low_res_logits(const sam_prediction *prediction, int32_t index);

/* A binary mask of the predictor's image (width*height bytes at any size, nonzero inside) as a
 * prompt's mask_input: low_res_size^2 logits written to `out`, made the way the official code
 * feeds a mask back (in the input frame, logits of +-10, resized to the low-resolution side). */
sam_status sam_predictor_mask_input(const sam_predictor *predictor, const uint8_t *mask, int32_t width,
                                    int32_t height, float *out, sam_error *error);

/* An object's embedding, for ranking objects by likeness: the mask (as for
 * sam_predictor_mask_input: the predictor's image at any size, nonzero inside) taken into the
 * input frame and resized to the image embedding's grid as the reference resizes masks
 * (bilinear, antialiased), the image embedding averaged over the grid's cells with those weights,
 * scaled to length 1. `out` holds `count` floats, which must be sam_predictor_embedding_size.
 * SAM_ERROR_ARGUMENT when the mask covers nothing or no image is set. */
int32_t sam_predictor_embedding_size(const sam_predictor *predictor); /* 256; 0 without an image */
sam_status sam_predictor_object_embedding(const sam_predictor *predictor, const uint8_t *mask, int32_t width,
                                          int32_t height, float *out, int32_t count, sam_error *error);

/* The official remove_small_regions (segment_anything and sam2 utils/amg.py, OpenCV's
 * 8-connected components), in place on width*height bytes of 0 / 1: holes nonzero fills
 * background regions smaller than min_area pixels; zero removes foreground regions smaller than
 * it, keeping the largest when all are. Returns 1 when the mask changed. Needs no model. */
int32_t sam_remove_small_regions(uint8_t *mask, int32_t width, int32_t height, int64_t min_area, int32_t holes);

/* ---------------------------------------------------- automatic mask generation */
/* Semantics of the official SAM2AutomaticMaskGenerator (SamAutomaticMaskGenerator for SAM 1):
 * a grid of single-point prompts over the image (and over crops of it), candidates filtered by
 * predicted IoU and stability score, duplicates removed by box NMS. The predictor runs
 * set_image on the image and on every crop: afterwards it holds the last one's embedding. */

/* Where a generator run stands, as its progress callback sees it. */
typedef struct sam_auto_progress {
    int32_t points_done;   /* grid points decoded so far, all crops together */
    int32_t points_total;  /* grid points of the whole run */
    int32_t crops_done;    /* crops finished (the whole image is crop 1 of 1 without crop layers) */
    int32_t crops_total;
} sam_auto_progress;

/* Called from the thread running sam_predictor_generate_masks: once before the first batch,
 * after every batch of points and after every crop. Return 0 to go on, non-zero to stop at this batch boundary: the
 * call then returns SAM_CANCELLED. It must not use the predictor. The callback never changes the
 * masks a run returns. */
typedef int32_t (*sam_auto_progress_fn)(void *user, const sam_auto_progress *progress);

typedef struct sam_auto_options {
    int32_t points_per_side;        /* grid points along each side (32) */
    int32_t points_per_batch;       /* points decoded together (64) */
    float pred_iou_thresh;          /* keep masks whose predicted IoU is above (SAM 2: 0.8, SAM 1: 0.88) */
    float stability_score_thresh;   /* keep masks whose stability score is at least (0.95) */
    float stability_score_offset;   /* logit offset of the stability score (1.0) */
    float mask_threshold;           /* logit threshold of the masks (0.0) */
    float box_nms_thresh;           /* box IoU above which NMS drops a mask within a crop (0.7) */
    int32_t crop_n_layers;          /* crop layers; layer i has 2^i x 2^i crops (0) */
    float crop_nms_thresh;          /* box IoU for the NMS across crops (0.7) */
    double crop_overlap_ratio;      /* crop overlap as a fraction of the short side (512/1500) */
    int32_t crop_n_points_downscale_factor; /* points per side divided by this per layer (1) */
    int32_t min_mask_region_area;   /* fill holes / drop islands of at most this area (0: off) */
    int32_t use_m2m;                /* SAM 2: one refinement step with the mask as input (0) */
    int32_t multimask_output;       /* SAM 2: three candidates per point (1) */
    sam_auto_progress_fn progress;  /* NULL: no reports (NULL) */
    void *progress_user;            /* handed to `progress` (NULL) */
} sam_auto_options;

/* The official generator's defaults for this model's family. */
sam_auto_options sam_auto_default_options(const sam_model *model);

typedef struct sam_auto_masks sam_auto_masks;

typedef struct sam_auto_mask_info {
    int64_t area;              /* pixels inside */
    float bbox[4];             /* x, y, w, h (w, h: last minus first column / row, as the reference) */
    float predicted_iou;
    float stability_score;
    float point[2];            /* the prompt point, image pixels */
    int32_t crop_box[4];       /* x, y, w, h of the crop the mask came from */
    int32_t rle_length;        /* entries of sam_auto_masks_rle */
} sam_auto_mask_info;

/* `rgb` as in sam_predictor_set_image; options NULL: the defaults for the model. */
sam_status sam_predictor_generate_masks(sam_predictor *predictor, const uint8_t *rgb, int32_t width,
                                        int32_t height, const sam_auto_options *options,
                                        sam_auto_masks **out, sam_error *error);
void sam_auto_masks_free(sam_auto_masks *masks);
int32_t sam_auto_masks_count(const sam_auto_masks *masks);
int32_t sam_auto_masks_width(const sam_auto_masks *masks);
int32_t sam_auto_masks_height(const sam_auto_masks *masks);
/* 1 and *out filled for a valid index, else 0. */
int32_t sam_auto_masks_info(const sam_auto_masks *masks, int32_t index, sam_auto_mask_info *out);
/* Uncompressed RLE counts in COCO's order (column-major, starting with a run of zeros, which
 * may be empty); NULL for an invalid index. */
const uint32_t *sam_auto_masks_rle(const sam_auto_masks *masks, int32_t index);

/* ------------------------------------------------------------------ video */
/* Semantics of the official SAM2VideoPredictor (SAM 2 and 2.1 models): objects prompted with
 * points, a box or a mask on any frame, tracked through the frames by the memory modules,
 * forward or backward from any frame, and corrected on frames already tracked. Frames are read
 * through a callback when first needed; their features are kept within a budget. */

typedef struct sam_video sam_video;

/* Writes frame `index` into `rgb` (width*height*3 bytes, the size of sam_video_options). Return
 * SAM_OK, or a status with one line in `error` (it is passed on to the caller). */
typedef sam_status (*sam_frame_reader)(void *user, int32_t index, uint8_t *rgb, sam_error *error);

/* Zero-initialise, then set the frames and what differs from the defaults. */
typedef struct sam_video_options {
    int32_t frame_count;
    int32_t width, height;            /* of every frame */
    sam_frame_reader read_frame;
    void *read_frame_user;            /* handed to read_frame */
    int64_t feature_budget_bytes;     /* frames' features kept in memory (0: 256 MiB; at least one frame) */
    /* Nonzero: a prompt on a frame already tracked adds it to the object's conditioning frames
     * (add_all_frames_to_correct_as_cond); zero, the reference's default: propagation recomputes
     * that frame without the prompt. */
    int32_t corrections_as_conditioning;
    int32_t non_overlap_masks;        /* nonzero: one object per pixel in returned masks */
    /* While propagating, each object's outputs (memory features, logits) of frames farther than
     * this from the frame being tracked are kept in an unlinked temporary file and read back
     * when needed, so memory does not grow with the video's length (0: 16; negative: all stay
     * in memory, as the reference keeps them). */
    int32_t resident_frames;
    /* A folder (it must exist: the embedding cache) where frames' features pushed out of memory
     * are written, one file per frame, and read back from instead of encoding the frame again.
     * NULL: none, they are encoded again. A damaged or foreign file there is encoded over. */
    const char *feature_cache_dir;
    /* Names the frames (their content and selection): a file is read back only for the model,
     * key and frame it was written for. 1...128 of [A-Za-z0-9._-]; required with the folder. */
    const char *feature_cache_key;
    int64_t feature_cache_bytes;      /* written there at most by this video (0: 2 GiB) */
} sam_video_options;

/* Every object's state on one frame. Pointers are valid during the callback only. */
typedef struct sam_video_frame {
    int32_t frame;
    int32_t object_count;             /* every object so far, in the order they were added */
    const int32_t *object_ids;
    const float *object_scores;       /* logit: is the object in the frame; -1024 without output here */
    int32_t width, height;            /* the video's */
    const uint8_t *masks;             /* object_count * width*height bytes, 1 inside */
    int32_t low_res_size;
    const float *low_res_logits;      /* object_count * low_res_size^2 logits (-1024 without output) */
} sam_video_frame;

/* Receives frames from the calls below; return 0 to go on, nonzero to stop (propagation then
 * returns SAM_CANCELLED after the frames already done, which stay done). */
typedef int32_t (*sam_video_frame_fn)(void *user, const sam_video_frame *frame);

/* Reads the model's video modules from its checkpoint the first time (SAM_ERROR_MODEL when they
 * do not fit; SAM_ERROR_ARGUMENT for SAM 1 models). The model must outlive the video. */
sam_status sam_video_new(sam_model *model, const sam_video_options *options, sam_video **out,
                         sam_error *error);
void sam_video_free(sam_video *video);

/* add_new_points_or_box: `points` are n_points (x, y) pairs in frame pixels with labels 0 / 1;
 * `box` (x0, y0, x1, y1) or NULL; clear_old_points zero adds the points to the frame's earlier
 * ones (not with a box). `on_frame` gets the frame's masks (may be NULL). */
sam_status sam_video_add_points(sam_video *video, int32_t frame, int32_t object_id, const float *points,
                                const int32_t *labels, int32_t n_points, const float *box,
                                int32_t clear_old_points, sam_video_frame_fn on_frame, void *user,
                                sam_error *error);
/* add_new_mask: width*height bytes at any size, nonzero inside, covering the frame. */
sam_status sam_video_add_mask(sam_video *video, int32_t frame, int32_t object_id, const uint8_t *mask,
                              int32_t width, int32_t height, sam_video_frame_fn on_frame, void *user,
                              sam_error *error);

typedef struct sam_propagate_options {
    int32_t start_frame;   /* -1: the earliest frame with prompts */
    int32_t max_frames;    /* frames after the start to track; -1: all */
    int32_t reverse;       /* nonzero: backward */
} sam_propagate_options;

/* propagate_in_video; options NULL: forward from the earliest prompted frame through the end. */
sam_status sam_video_propagate(sam_video *video, const sam_propagate_options *options,
                               sam_video_frame_fn on_frame, void *user, sam_error *error);
/* reset_state: forgets every object, prompt and output. */
sam_status sam_video_reset(sam_video *video, sam_error *error);
typedef struct sam_video_stats {
    int64_t feature_bytes;        /* frames' features in memory now */
    int64_t frames_encoded;       /* frames run through the image encoder so far */
    int64_t frames_read_back;     /* frames' features read back from feature_cache_dir */
    int64_t cache_bytes_written;  /* to feature_cache_dir */
    int64_t spilled_bytes;        /* old outputs written to the temporary file since the last reset */
} sam_video_stats;

/* Fills *out (zeros for a NULL video). */
void sam_video_get_stats(const sam_video *video, sam_video_stats *out);

/* ------------------------------------------------------------------ checks */
/* Runs `cases` seeded random cases of one of the CPU's hand-written kernels ("gelu",
 * "layer_norm_gelu", "layer_norm_rows", "column_softmax", "packed_linear", "cpu_attention")
 * against ATen's own operation, edge sizes included, and writes the largest absolute difference
 * into *worst_error. For tests; SAM_ERROR_DEVICE where the kernel cannot run (no AVX2). */
sam_status sam_kernel_check(const char *kernel, uint64_t seed, int32_t cases, double *worst_error,
                            sam_error *error);

#ifdef __cplusplus
}
#endif
#endif /* SAM_ENGINE_H */
