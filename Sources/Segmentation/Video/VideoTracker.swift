import SamEngine

/// Every object's state on one frame of a video, as the tracker returns it.
public struct VideoFrameMasks: Sendable {
    public struct Object: Sendable {
        public let id: Int
        /// Logit of "the object is in this frame" (-1024 where it has no output on this frame).
        public let score: Float
        public let mask: BinaryMask
        /// lowResSize^2 logits (-1024 where it has no output).
        public let lowResLogits: [Float]

        /// Whether the tracker has an output for the object on this frame (it marks none with a
        /// score of -1024; real logits stay far above).
        public var hasOutput: Bool { score > -1000 }
    }

    public let frame: Int
    public let objects: [Object]
    public let lowResSize: Int
}

/// SAM 2's video predictor (the official SAM2VideoPredictor's semantics): prompt objects on any
/// frame, propagate them forward or backward, correct any frame and propagate again. Frames
/// are read through `readFrame` when first needed.
///
/// Use a tracker from one thread at a time; the model must not be used by another thread while
/// it works. It keeps its model alive.
public final class VideoTracker: @unchecked Sendable {
    public struct Options: Sendable {
        /// Frame features kept in memory (the least recently used go first).
        public var featureBudgetBytes: Int = 256 << 20
        /// A frame corrected after it was tracked joins the object's conditioning frames (else,
        /// as in the reference's default, propagation recomputes it without the correction).
        public var correctionsAsConditioning = true
        /// One object per pixel in the returned masks.
        public var nonOverlappingMasks = false
        /// Outputs of frames farther than this from the frame being tracked wait in a temporary
        /// file (the same results, bounded memory); nil: all stay in memory.
        public var residentFrames: Int? = 16
        /// Where frames pushed out of memory are written and read back from, instead of being
        /// encoded again (nil: encoded again).
        public var featureCache: FeatureCache?
        public init() {}

        /// How samterm tracks (`track` and the editor alike): one object per pixel, as the
        /// official predictor's non_overlap_masks option gives it.
        public static var samterm: Options {
            var options = Options()
            options.nonOverlappingMasks = true
            return options
        }
    }

    /// A folder of frame features, EmbeddingCache.videoFeatures gives one in the embedding cache.
    public struct FeatureCache: Sendable, Equatable {
        /// An existing folder.
        public var folder: String
        /// Names the frames (content and selection): 1...128 of [A-Za-z0-9._-].
        public var key: String
        /// At most this many bytes written there by one tracker.
        public var byteBudget: Int64

        public init(folder: String, key: String, byteBudget: Int64) {
            self.folder = folder
            self.key = key
            self.byteBudget = byteBudget
        }
    }

    public let model: Model
    public let frameCount: Int
    public let width: Int
    public let height: Int
    private let handle: OpaquePointer
    private let reader: FrameReader

    /// - Parameter readFrame: returns frame `index` (every frame width x height).
    public init(model: Model, frameCount: Int, width: Int, height: Int, options: Options = Options(),
                readFrame: @escaping (Int) throws -> RGBImage) throws {
        guard frameCount > 0, frameCount <= Int(Int32.max) else {
            throw EngineError(status: .argument, message: "video: \(frameCount) frames")
        }
        let reader = FrameReader(width: width, height: height, read: readFrame)
        var raw = sam_video_options()
        raw.frame_count = Int32(frameCount)
        raw.width = Int32(clamping: width)
        raw.height = Int32(clamping: height)
        raw.read_frame = { user, index, rgb, error in
            let reader = Unmanaged<FrameReader>.fromOpaque(user!).takeUnretainedValue()
            return reader.read(index: Int(index), into: rgb!, error: error!)
        }
        raw.read_frame_user = Unmanaged.passUnretained(reader).toOpaque()
        raw.feature_budget_bytes = Int64(options.featureBudgetBytes)
        raw.corrections_as_conditioning = options.correctionsAsConditioning ? 1 : 0
        raw.non_overlap_masks = options.nonOverlappingMasks ? 1 : 0
        raw.resident_frames = options.residentFrames.map { Int32(clamping: max($0, 1)) } ?? -1
        var handle: OpaquePointer?
        let cache = options.featureCache
        raw.feature_cache_bytes = max(cache?.byteBudget ?? 0, 1)
        try withOptionalCString(cache?.folder) { folder in
            try withOptionalCString(cache?.key) { key in
                raw.feature_cache_dir = folder
                raw.feature_cache_key = key
                try EngineError.check { sam_video_new(model.handle, &raw, &handle, $0) }
            }
        }
        self.handle = handle!
        self.reader = reader
        self.model = model
        self.frameCount = frameCount
        self.width = width
        self.height = height
    }

    deinit { sam_video_free(handle) }

    /// Points (pixels of the frame) with labels true for foreground, and / or a box
    /// (x0, y0, x1, y1), for `object` on `frame`. `replacing` false adds the points to the
    /// frame's earlier ones (not with a box).
    public func addPoints(frame: Int, object: Int, points: [(x: Float, y: Float, foreground: Bool)],
                          box: (Float, Float, Float, Float)? = nil, replacing: Bool = true) throws -> VideoFrameMasks {
        let coords = points.flatMap { [$0.x, $0.y] }
        let labels = points.map { Int32($0.foreground ? 1 : 0) }
        let corners = box.map { [$0.0, $0.1, $0.2, $0.3] }
        let collector = FrameCollector(reader: reader)
        let (frame32, object32) = (try int32(frame), try int32(object))
        try coords.withUnsafeBufferPointer { coords in
            try labels.withUnsafeBufferPointer { labels in
                try withOptionalBuffer(corners) { corners in
                    try EngineError.check {
                        sam_video_add_points(handle, frame32, object32, coords.baseAddress, labels.baseAddress,
                                             Int32(points.count), corners, replacing ? 1 : 0, FrameCollector.callback,
                                             Unmanaged.passUnretained(collector).toOpaque(), $0)
                    }
                }
            }
        }
        return try collector.single()
    }

    /// A mask prompt for `object` on `frame` (any size; it covers the frame).
    public func addMask(frame: Int, object: Int, mask: BinaryMask) throws -> VideoFrameMasks {
        let collector = FrameCollector(reader: reader)
        let (frame32, object32) = (try int32(frame), try int32(object))
        try mask.bytes.withUnsafeBufferPointer { bytes in
            try EngineError.check {
                sam_video_add_mask(handle, frame32, object32, bytes.baseAddress, Int32(mask.width),
                                   Int32(mask.height), FrameCollector.callback,
                                   Unmanaged.passUnretained(collector).toOpaque(), $0)
            }
        }
        return try collector.single()
    }

    /// Tracks every object from `start` (nil: the earliest prompted frame) over `maxFrames` more
    /// frames (nil: to the end), backward when `reverse`. `onFrame` gets each frame as it is
    /// done and returns false to stop, which throws EngineError .cancelled after it.
    public func propagate(from start: Int? = nil, maxFrames: Int? = nil, reverse: Bool = false,
                          onFrame: (VideoFrameMasks) -> Bool) throws {
        try withoutActuallyEscaping(onFrame) { onFrame in
            let collector = FrameCollector(reader: reader, onFrame: onFrame)
            var options = sam_propagate_options(start_frame: try int32(start ?? -1), max_frames: try int32(maxFrames ?? -1),
                                                reverse: reverse ? 1 : 0)
            try EngineError.check {
                sam_video_propagate(handle, &options, FrameCollector.callback, Unmanaged.passUnretained(collector).toOpaque(), $0)
            }
            if let failure = collector.readFailure { throw failure }
        }
    }

    /// Forgets every object, prompt and result.
    public func reset() throws { try EngineError.check { sam_video_reset(handle, $0) } }

    public struct Stats: Equatable, Sendable {
        /// Bytes of frame features held in memory now.
        public var featureBytes: Int
        /// Frames run through the image encoder so far.
        public var framesEncoded: Int
        /// Frames whose features were read back from the feature cache instead.
        public var framesReadBack: Int
        /// Bytes written to the feature cache.
        public var cacheBytesWritten: Int
        /// Bytes of old frames' outputs moved to the temporary file since the last reset.
        public var spilledBytes: Int
    }

    public var stats: Stats {
        var raw = sam_video_stats()
        sam_video_get_stats(handle, &raw)
        return Stats(featureBytes: Int(raw.feature_bytes), framesEncoded: Int(raw.frames_encoded),
                     framesReadBack: Int(raw.frames_read_back), cacheBytesWritten: Int(raw.cache_bytes_written),
                     spilledBytes: Int(raw.spilled_bytes))
    }

    private func int32(_ value: Int) throws -> Int32 {
        guard let small = Int32(exactly: value) else {
            throw EngineError(status: .argument, message: "\(value) is out of range")
        }
        return small
    }
}

/// The Swift frame reader behind the C callback; a thrown error becomes the call's status.
private final class FrameReader {
    let width: Int, height: Int
    let read: (Int) throws -> RGBImage

    init(width: Int, height: Int, read: @escaping (Int) throws -> RGBImage) {
        self.width = width
        self.height = height
        self.read = read
    }

    func read(index: Int, into rgb: UnsafeMutablePointer<UInt8>, error report: UnsafeMutablePointer<sam_error>) -> sam_status {
        do {
            let image = try read(index)
            guard image.width == width, image.height == height else {
                return fail("frame \(index) is \(image.width)x\(image.height), the video's frames are \(width)x\(height)",
                            status: SAM_ERROR_FORMAT, error: report)
            }
            image.pixels.withUnsafeBufferPointer { rgb.update(from: $0.baseAddress!, count: $0.count) }
            return SAM_OK
        } catch {
            return fail("\(error)", status: SAM_ERROR_IO, error: report)
        }
    }

    private func fail(_ message: String, status: sam_status, error: UnsafeMutablePointer<sam_error>) -> sam_status {
        withUnsafeMutableBytes(of: &error.pointee.message) { raw in
            let bytes = Array(message.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return status
    }
}

/// Collects the frames the engine hands back, for one call.
private final class FrameCollector {
    let reader: FrameReader
    let onFrame: ((VideoFrameMasks) -> Bool)?
    var frames: [VideoFrameMasks] = []
    var readFailure: Error?

    init(reader: FrameReader, onFrame: ((VideoFrameMasks) -> Bool)? = nil) {
        self.reader = reader
        self.onFrame = onFrame
    }

    func single() throws -> VideoFrameMasks {
        guard let frame = frames.first else {
            throw EngineError(status: .internal, message: "the engine returned no frame")
        }
        return frame
    }

    static let callback: sam_video_frame_fn = { user, raw in
        let collector = Unmanaged<FrameCollector>.fromOpaque(user!).takeUnretainedValue()
        let frame = VideoFrameMasks(raw!.pointee)
        if let onFrame = collector.onFrame { return onFrame(frame) ? 0 : 1 }
        collector.frames.append(frame)
        return 0
    }
}

extension VideoFrameMasks {
    init(_ raw: sam_video_frame) {
        let count = Int(raw.object_count), pixels = Int(raw.width) * Int(raw.height)
        let side = Int(raw.low_res_size), cells = side * side
        var objects: [Object] = []
        for i in 0..<count {
            let mask = BinaryMask(width: Int(raw.width), height: Int(raw.height),
                                  bytes: Array(UnsafeBufferPointer(start: raw.masks + i * pixels, count: pixels)))
            objects.append(Object(id: Int(raw.object_ids[i]), score: raw.object_scores[i], mask: mask,
                                  lowResLogits: Array(UnsafeBufferPointer(start: raw.low_res_logits + i * cells, count: cells))))
        }
        self.init(frame: Int(raw.frame), objects: objects, lowResSize: side)
    }
}
