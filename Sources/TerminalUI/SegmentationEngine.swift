// The real engine behind the worker: Segmentation's Model and one Predictor per image slot.
import Segmentation

final class SegmentationEngine: PredictionEngine {
    private let model: Model
    private let predictors: [Predictor]

    var modelName: String { model.name }
    var device: String { model.device }
    var slotCount: Int { predictors.count }

    /// Two slots: the image on screen and the next one, encoded ahead.
    convenience init(checkpointPath: String, modelName: String?, device: ComputeDevice, threads: Int,
                     kernels: ComputeKernels = .auto, precision: ComputePrecision = .auto, slots: Int = 2) throws {
        try self.init(model: Model(path: checkpointPath, modelName: modelName, device: device, threads: threads,
                                   kernels: kernels, precision: precision),
                      slots: slots)
    }

    init(model: Model, slots: Int = 2) throws {
        self.model = model
        predictors = try (0..<max(slots, 1)).map { _ in try Predictor(model: model) }
    }

    func encode(_ image: RGBImage, slot: Int) throws {
        try predictors[slot].setImage(image)
        warmUp(slot: slot)
    }

    /// One throwaway click right after an image is encoded: the first prediction after an
    /// encoding pays for fresh allocations and cold caches, and should not be the user's.
    private func warmUp(slot: Int) {
        let corner = Prompt(points: [PromptPoint(x: 0.5, y: 0.5, label: .foreground)])
        _ = try? predictors[slot].predict(corner, options: MaskOutputOptions(size: (1, 1)))
    }

    func makeVideoTracker(frames: any FrameSource, featureCache: VideoTracker.FeatureCache?) throws -> VideoTracking {
        var options = VideoTracker.Options.samterm
        options.featureCache = featureCache
        return try VideoTracker(model: model, frameCount: frames.frameCount, width: frames.width, height: frames.height,
                                options: options, readFrame: { try frames.frame(at: $0) })
    }

    func saveEmbedding(slot: Int, path: String, key: String) throws {
        try predictors[slot].saveEmbedding(path: path, imageKey: key)
    }

    func loadEmbedding(slot: Int, path: String, key: String) throws {
        try predictors[slot].loadEmbedding(path: path, imageKey: key)
        warmUp(slot: slot)
    }

    func generateMasks(slot: Int, image: RGBImage) throws -> [AutomaticMask] {
        try predictors[slot].generateMasks(image: image)
    }

    func generateMasks(slot: Int, image: RGBImage, thresholds: AutomaticThresholds?,
                       progress: @escaping (AutomaticMaskProgress) -> Bool) throws -> [AutomaticMask] {
        let defaults = AutomaticMaskOptions.defaults(for: model)
        return try predictors[slot].generateMasks(image: image, options: thresholds?.applied(to: defaults) ?? defaults,
                                                  progress: progress)
    }

    var automaticDefaults: AutomaticThresholds {
        let defaults = AutomaticMaskOptions.defaults(for: model)
        return AutomaticThresholds(predictedIoU: defaults.predIoUThresh, stability: defaults.stabilityScoreThresh)
    }

    func predict(slot: Int, prompting: Prompt, maskWidth: Int, maskHeight: Int) throws -> PredictionResult {
        try Self.result(of: predictors[slot].predict(prompting, options: MaskOutputOptions(size: (maskWidth, maskHeight))))
    }

    func replay(slot: Int, steps: [Session.Step], edits: [MaskEdit], base: BinaryMask?, imageWidth: Int, imageHeight: Int,
                objectID: Int, maskWidth: Int, maskHeight: Int) throws -> SessionReplay.Replayed<PredictionResult>? {
        let predictor = predictors[slot]
        let editing = SessionReplay.Editing(edits: edits, imageWidth: imageWidth, imageHeight: imageHeight, base: base,
                                            maskInput: predictor.maskInput(from:))
        return try SessionReplay.replay(steps, objectID: objectID, finalOutput: MaskOutputOptions(size: (maskWidth, maskHeight)),
                                        editing: editing) {
            try predictor.predict($0, options: $1)
        }?.map(Self.result(of:))
    }

    func objectEmbeddings(slot: Int, masks: [BinaryMask]) throws -> [[Float]] {
        try masks.map { try predictors[slot].objectEmbedding(of: $0) }
    }

    func maskInput(slot: Int, mask: BinaryMask) throws -> [Float] {
        try predictors[slot].maskInput(from: mask)
    }

    /// The engine's answer as the editor keeps it: every candidate with its mask.
    private static func result(of answer: MaskCandidates) throws -> PredictionResult {
        let candidates = try (0..<answer.count).map { index -> PredictedMask in
            guard let mask = answer.mask(at: index) else {
                throw EditorError("the engine returned no mask for candidate \(index + 1)")
            }
            return PredictedMask(mask: mask, score: answer.scores[index], lowResLogits: answer.lowResLogits(at: index))
        }
        return PredictionResult(candidates: candidates, best: answer.best)
    }
}
