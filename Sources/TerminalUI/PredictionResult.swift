// The predictor's answers, as the editor keeps them.
import Segmentation

/// One of the (up to three) masks a prediction proposes: a candidate. (Segmentation's
/// `MaskCandidates` is the engine's whole answer, read lazily.)
public struct PredictedMask: Sendable {
    public var mask: BinaryMask
    /// The model's predicted IoU for this mask.
    public var score: Float
    /// Low-resolution logits (side x side, row-major), fed back as SAM's mask input.
    public var lowResLogits: [Float]

    public init(mask: BinaryMask, score: Float, lowResLogits: [Float]) {
        self.mask = mask
        self.score = score
        self.lowResLogits = lowResLogits
    }
}

/// A finished prediction: the candidates and which one the model rates best.
public struct PredictionResult: Sendable {
    public var candidates: [PredictedMask]
    public var best: Int

    public init(candidates: [PredictedMask], best: Int) {
        self.candidates = candidates
        self.best = best
    }
}

/// Replay reads a prediction's candidates through this.
extension PredictionResult: SessionReplay.Candidates {
    public var count: Int { candidates.count }
    public func lowResLogits(at index: Int) -> [Float] { candidates[index].lowResLogits }
    public func mask(at index: Int) -> BinaryMask? { candidates.indices.contains(index) ? candidates[index].mask : nil }
}
