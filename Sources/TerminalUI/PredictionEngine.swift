// What the predictor worker needs from a model, so the worker can be tested without one.
import Segmentation

/// A loaded model with a small number of image slots (one predictor each). Used from one
/// thread only: the predictor worker's.
public protocol PredictionEngine: AnyObject {
    var modelName: String { get }
    var device: String { get }
    /// How many encoded images the engine holds at once (at least 1; 2 lets the next image be
    /// encoded while the current one is being worked on).
    var slotCount: Int { get }

    func encode(_ image: RGBImage, slot: Int) throws
    /// Keeps the slot's encoding in a file, tagged with `key`; and reads one back.
    func saveEmbedding(slot: Int, path: String, key: String) throws
    func loadEmbedding(slot: Int, path: String, key: String) throws
    func predict(slot: Int, prompting: Prompt, maskWidth: Int, maskHeight: Int) throws -> PredictionResult
    /// An object's saved steps replayed on the slot's image (`SessionReplay.replay`), the last
    /// step's masks at the size asked; nil without steps. `edits`, the imported `base` and the
    /// image's size serve the steps that refine from an edited mask.
    func replay(slot: Int, steps: [Session.Step], edits: [MaskEdit], base: BinaryMask?, imageWidth: Int, imageHeight: Int,
                objectID: Int, maskWidth: Int, maskHeight: Int) throws -> SessionReplay.Replayed<PredictionResult>?
    /// A mask of the slot's image as a prompt's mask input (`Predictor.maskInput`).
    func maskInput(slot: Int, mask: BinaryMask) throws -> [Float]
    /// The automatic mask generator on `image`, the slot's image (with the model's default
    /// options, which keep the slot's embedding that of the whole image).
    func generateMasks(slot: Int, image: RGBImage) throws -> [AutomaticMask]
    /// The same with the given thresholds (nil: the defaults), calling `progress` between
    /// batches of points; `progress` returning false stops the run (EngineError .cancelled).
    func generateMasks(slot: Int, image: RGBImage, thresholds: AutomaticThresholds?,
                       progress: @escaping (AutomaticMaskProgress) -> Bool) throws -> [AutomaticMask]
    /// The model's own generator thresholds.
    var automaticDefaults: AutomaticThresholds { get }
    /// Each mask's object embedding on the slot's image (`Predictor.objectEmbedding`).
    func objectEmbeddings(slot: Int, masks: [BinaryMask]) throws -> [[Float]]
    /// A tracker over the video's frames on the same model (SAM 2 only).
    /// `featureCache`: where frames pushed out of memory are kept (nil: encoded again).
    func makeVideoTracker(frames: any FrameSource, featureCache: VideoTracker.FeatureCache?) throws -> VideoTracking
}

/// SAM 2's video tracker as the worker uses it (Segmentation's VideoTracker; a test's stand-in).
public protocol VideoTracking: AnyObject {
    func addPoints(frame: Int, object: Int, points: [(x: Float, y: Float, foreground: Bool)],
                   box: (Float, Float, Float, Float)?, replacing: Bool) throws -> VideoFrameMasks
    func propagate(from start: Int?, maxFrames: Int?, reverse: Bool, onFrame: (VideoFrameMasks) -> Bool) throws
    func reset() throws
}

extension VideoTracker: VideoTracking {}

extension PredictionEngine {
    /// An engine without progress reports runs the defaults.
    public func generateMasks(slot: Int, image: RGBImage, thresholds: AutomaticThresholds?,
                              progress: @escaping (AutomaticMaskProgress) -> Bool) throws -> [AutomaticMask] {
        try generateMasks(slot: slot, image: image)
    }

    public var automaticDefaults: AutomaticThresholds { .sam2Defaults }

    public func makeVideoTracker(frames: any FrameSource, featureCache: VideoTracker.FeatureCache?) throws -> VideoTracking {
        throw EditorError("this engine tracks no video")
    }

    public func objectEmbeddings(slot: Int, masks: [BinaryMask]) throws -> [[Float]] {
        throw EditorError("this engine makes no object embeddings")
    }
}
