import SamEngine

/// Set an image once, then predict masks for many prompts against its embedding (the official
/// predictors' semantics: SAM2ImagePredictor for SAM 2 models, SamPredictor for SAM 1).
///
/// Use a predictor from one thread at a time. It keeps its model alive.
public final class Predictor: @unchecked Sendable {
    let handle: OpaquePointer  // internal: AutomaticMaskGenerator.swift calls the engine with it
    public let model: Model

    public init(model: Model) throws {
        var handle: OpaquePointer?
        try EngineError.check { sam_predictor_new(model.handle, &handle, $0) }
        self.handle = handle!
        self.model = model
    }

    deinit { sam_predictor_free(handle) }

    public var hasImage: Bool { sam_predictor_has_image(handle) != 0 }

    /// Runs the image encoder on `image` (the slow step) and keeps its embedding.
    public func setImage(_ image: RGBImage) throws {
        try image.pixels.withUnsafeBufferPointer { pixels in
            try EngineError.check {
                sam_predictor_set_image(handle, pixels.baseAddress, Int32(image.width), Int32(image.height), $0)
            }
        }
    }

    /// Writes the current embedding to `path`, tagged with the model and `imageKey` (a hash of
    /// the image content).
    public func saveEmbedding(path: String, imageKey: String) throws {
        try EngineError.check { sam_predictor_save_embedding(handle, path, imageKey, $0) }
    }

    /// Reads an embedding written by `saveEmbedding`. Throws `EngineError` .format when the
    /// file was made by another model or for another image key.
    public func loadEmbedding(path: String, imageKey: String) throws {
        try EngineError.check { sam_predictor_load_embedding(handle, path, imageKey, $0) }
    }

    /// `mask` (covering the image, at any size) as a prompt's mask input: the low-resolution
    /// logits the official code makes of a mask it feeds back. Refining from an edited mask
    /// predicts with these.
    public func maskInput(from mask: BinaryMask) throws -> [Float] {
        guard mask.width > 0, mask.height > 0 else {
            throw EngineError(status: .argument, message: "mask size \(mask.width)x\(mask.height) is not positive")
        }
        var logits = [Float](repeating: 0, count: model.lowResSize * model.lowResSize)
        try mask.bytes.withUnsafeBufferPointer { bytes in
            try logits.withUnsafeMutableBufferPointer { out in
                try EngineError.check {
                    sam_predictor_mask_input(handle, bytes.baseAddress, Int32(mask.width), Int32(mask.height), out.baseAddress, $0)
                }
            }
        }
        return logits
    }

    /// The object `mask` covers (the image at any size) as a unit vector: the image embedding
    /// averaged over the mask, resized to the embedding's grid (the engine's
    /// sam_predictor_object_embedding). Objects alike have a dot product near 1. Throws `EngineError`
    /// .argument for an empty mask or when no image is set.
    public func objectEmbedding(of mask: BinaryMask) throws -> [Float] {
        guard mask.width > 0, mask.height > 0 else {
            throw EngineError(status: .argument, message: "mask size \(mask.width)x\(mask.height) is not positive")
        }
        let count = Int(sam_predictor_embedding_size(handle))
        guard count > 0 else { throw EngineError(status: .argument, message: "object embedding: no image has been set") }
        var values = [Float](repeating: 0, count: count)
        try mask.bytes.withUnsafeBufferPointer { bytes in
            try values.withUnsafeMutableBufferPointer { out in
                try EngineError.check {
                    sam_predictor_object_embedding(handle, bytes.baseAddress, Int32(mask.width), Int32(mask.height),
                                                   out.baseAddress, Int32(count), $0)
                }
            }
        }
        return values
    }

    /// Candidate masks for `prompt`. Throws `EngineError` .argument for an invalid prompt
    /// (a mask input of the wrong size, a non-finite coordinate) or when no image is set.
    public func predict(_ prompt: Prompt, options: MaskOutputOptions = MaskOutputOptions()) throws -> MaskCandidates {
        let side = model.lowResSize
        if let maskInput = prompt.maskInput, maskInput.count != side * side {
            throw EngineError(status: .argument, message:
                "mask input has \(maskInput.count) values; \(model.name) takes \(side)x\(side) = \(side * side) low-resolution logits")
        }
        if let size = options.size, size.width <= 0 || size.height <= 0 {
            throw EngineError(status: .argument, message: "mask size \(size.width)x\(size.height) is not positive")
        }
        let coordinates = prompt.points.flatMap { [$0.x, $0.y] }
        let labels = prompt.points.map { $0.label.rawValue }
        let box = prompt.box.map { [$0.x0, $0.y0, $0.x1, $0.y1] }
        var output = sam_output_options(
            mask_width: Int32(clamping: options.size?.width ?? 0),
            mask_height: Int32(clamping: options.size?.height ?? 0),
            best_mask_only: options.bestMaskOnly ? 1 : 0)
        var result: OpaquePointer?
        try coordinates.withUnsafeBufferPointer { points in
            try labels.withUnsafeBufferPointer { labels in
                try withOptionalBuffer(box) { box in
                    try withOptionalBuffer(prompt.maskInput) { maskInput in
                        var request = sam_prompt(
                            points: points.baseAddress, labels: labels.baseAddress, n_points: Int32(labels.count),
                            box: box, mask_input: maskInput, multimask: prompt.multimask ? 1 : 0)
                        try EngineError.check { sam_predictor_predict(handle, &request, &output, &result, $0) }
                    }
                }
            }
        }
        let candidates = MaskCandidates(handle: result!, lowResSize: side)
        // A NaN anywhere upstream (weights, a damaged embedding file) ends in the scores.
        if let bad = candidates.scores.first(where: { !$0.isFinite }) {
            throw EngineError(status: .model, message:
                "the model answered with a score of \(bad), not a finite number: its weights or the image's embedding hold NaN or infinity")
        }
        return candidates
    }
}

/// `values`' storage, or nil, for the C calls' optional arrays.
func withOptionalBuffer<Result>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) throws -> Result) rethrows -> Result {
    guard let values else { return try body(nil) }
    return try values.withUnsafeBufferPointer { try body($0.baseAddress) }
}
