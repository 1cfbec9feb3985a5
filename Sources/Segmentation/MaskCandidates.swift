import SamEngine

/// The predictor's answer to one prompt: one or three candidate masks, each with the model's
/// score (its estimate of the mask's IoU) and its low-resolution logits.
public final class MaskCandidates: @unchecked Sendable {
    // Immutable after creation, so reading it from several threads is safe.
    private let handle: OpaquePointer

    public let count: Int
    public let scores: [Float]
    /// Index of the highest score.
    public let best: Int
    public let maskWidth: Int
    public let maskHeight: Int
    /// Side of the square low-resolution logits.
    public let lowResSize: Int

    init(handle: OpaquePointer, lowResSize: Int) {
        self.handle = handle
        self.lowResSize = lowResSize
        count = Int(sam_prediction_count(handle))
        let scores = sam_prediction_scores(handle)
        self.scores = (0..<count).map { scores![$0] }
        best = Int(sam_prediction_best(handle))
        maskWidth = Int(sam_prediction_mask_width(handle))
        maskHeight = Int(sam_prediction_mask_height(handle))
    }

    deinit { sam_prediction_free(handle) }

    /// Candidate `index`'s mask, or nil when it was not upsampled (`bestMaskOnly`) or the
    /// index is out of range.
    public func mask(at index: Int) -> BinaryMask? {
        guard (0..<count).contains(index), let bytes = sam_prediction_mask(handle, Int32(index)) else { return nil }
        let buffer = UnsafeBufferPointer(start: bytes, count: maskWidth * maskHeight)
        return BinaryMask(width: maskWidth, height: maskHeight, bytes: Array(buffer))
    }

    public var bestMask: BinaryMask? { mask(at: best) }

    /// Candidate `index`'s low-resolution logits, `lowResSize * lowResSize` values row-major, as
    /// the model family's official predictor returns them (SAM 2 clamps them to [-32, 32]);
    /// usable as a later prompt's `maskInput`.
    public func lowResLogits(at index: Int) -> [Float] {
        precondition((0..<count).contains(index), "candidate \(index) is out of range (\(count) candidates)")
        let values = sam_prediction_low_res_logits(handle, Int32(index))!
        return Array(UnsafeBufferPointer(start: values, count: lowResSize * lowResSize))
    }
}
