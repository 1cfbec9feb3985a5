// The real engine behind the worker: Segmentation's Model and one Predictor per image slot.
import Segmentation

final class SegmentationEngine: PredictionEngine {
    private let model: Model
    private let predictors: [Predictor]

    var modelName: String { model.name }
    var device: String { model.device }
    var slotCount: Int { predictors.count }

    /// Two slots: the image on screen and the next one, encoded ahead.
    init(checkpointPath: String, modelName: String?, device: ComputeDevice, threads: Int, slots: Int = 2) throws {
        let model = try Model(path: checkpointPath, modelName: modelName, device: device, threads: threads)
        self.model = model
        predictors = try (0..<max(slots, 1)).map { _ in try Predictor(model: model) }
    }

    func encode(_ image: RGBImage, slot: Int) throws {
        try predictors[slot].setImage(image)
    }

    func saveEmbedding(slot: Int, path: String, key: String) throws {
        try predictors[slot].saveEmbedding(path: path, imageKey: key)
    }

    func loadEmbedding(slot: Int, path: String, key: String) throws {
        try predictors[slot].loadEmbedding(path: path, imageKey: key)
    }

    func generateMasks(slot: Int, image: RGBImage) throws -> [AutomaticMask] {
        try predictors[slot].generateMasks(image: image)
    }

    func predict(slot: Int, prompting: Prompt, maskWidth: Int, maskHeight: Int) throws -> PredictionResult {
        let answer = try predictors[slot].predict(prompting, options: MaskOutputOptions(size: (maskWidth, maskHeight)))
        let candidates = try (0..<answer.count).map { index -> MaskCandidate in
            guard let mask = answer.mask(at: index) else {
                throw EditorError("the engine returned no mask for candidate \(index + 1)")
            }
            return MaskCandidate(mask: mask, score: answer.scores[index], lowResLogits: answer.lowResLogits(at: index))
        }
        return PredictionResult(candidates: candidates, best: answer.best)
    }
}
