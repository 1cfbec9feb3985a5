import ArgumentParser
import Foundation
import Segmentation

/// The generator's settings as flags named after the official generator's arguments; a flag
/// left out takes the model family's default.
struct AutomaticMaskArguments: ParsableArguments {
    @Option(help: "Grid points along each side of the image, 1 to \(Self.maxPointsPerSide) (default 32).")
    var pointsPerSide: Int?
    @Option(help: "Points decoded together, 1 to \(Self.maxPointsPerBatch) (default 64).")
    var pointsPerBatch: Int?
    @Option(help: "Keep masks whose predicted IoU is above this (SAM 2: 0.8, SAM 1: 0.88).")
    var predIouThresh: Float?
    @Option(help: "Keep masks whose stability score is at least this (default 0.95).")
    var stabilityScoreThresh: Float?
    @Option(help: "Logit offset of the stability score (default 1.0).")
    var stabilityScoreOffset: Float?
    @Option(help: "Logit threshold of the masks (default 0.0).")
    var maskThreshold: Float?
    @Option(help: "Box IoU above which NMS drops a duplicate within a crop (default 0.7).")
    var boxNmsThresh: Float?
    @Option(help: "Crop layers; layer i cuts the image into 2^i x 2^i crops (default 0).")
    var cropNLayers: Int?
    @Option(help: "Box IoU for the NMS across crops (default 0.7).")
    var cropNmsThresh: Float?
    @Option(help: "Crop overlap as a fraction of the image's short side (default 512/1500).")
    var cropOverlapRatio: Double?
    @Option(help: "Points per side divided by this in each further crop layer (default 1).")
    var cropNPointsDownscaleFactor: Int?
    @Option(help: "Fill holes and remove islands of at most this many pixels (default 0: off).")
    var minMaskRegionArea: Int?
    @Flag(help: "SAM 2: refine every mask once with itself as the mask input.")
    var useM2m = false
    @Flag(inversion: .prefixedNo, help: "SAM 2: three candidates per point (default) or one.")
    var multimaskOutput: Bool?

    /// Bounds on the work one run may ask for: 1024 x 1024 points per crop are a million
    /// decodes (hours), and a batch of 1024 points holds 800 MB of candidate logits.
    static let maxPointsPerSide = 1024
    static let maxPointsPerBatch = 1024

    func validate() throws {
        func atLeast(_ value: Int?, _ minimum: Int, _ name: String) throws {
            if let value, value < minimum { throw ValidationError("--\(name) must be at least \(minimum), not \(value).") }
        }
        func atMost(_ value: Int?, _ maximum: Int, _ name: String) throws {
            if let value, value > maximum { throw ValidationError("--\(name) must be at most \(maximum), not \(value).") }
        }
        try atLeast(pointsPerSide, 1, "points-per-side")
        try atLeast(pointsPerBatch, 1, "points-per-batch")
        try atMost(pointsPerSide, Self.maxPointsPerSide, "points-per-side")
        try atMost(pointsPerBatch, Self.maxPointsPerBatch, "points-per-batch")
        try atLeast(cropNLayers, 0, "crop-n-layers")
        try atLeast(cropNPointsDownscaleFactor, 1, "crop-n-points-downscale-factor")
        try atLeast(minMaskRegionArea, 0, "min-mask-region-area")
        if let cropNLayers, cropNLayers > 6 { throw ValidationError("--crop-n-layers must be at most 6, not \(cropNLayers).") }
        if let ratio = cropOverlapRatio, !(ratio >= 0 && ratio < 1) {
            throw ValidationError("--crop-overlap-ratio must be in [0, 1), not \(ratio).")
        }
        for (name, value) in [("pred-iou-thresh", predIouThresh), ("stability-score-thresh", stabilityScoreThresh),
                              ("stability-score-offset", stabilityScoreOffset), ("mask-threshold", maskThreshold),
                              ("box-nms-thresh", boxNmsThresh), ("crop-nms-thresh", cropNmsThresh)] {
            if let value, !value.isFinite { throw ValidationError("--\(name) must be a finite number.") }
        }
    }

    func options(for model: Model) -> AutomaticMaskOptions {
        var options = AutomaticMaskOptions.defaults(for: model)
        if let pointsPerSide { options.pointsPerSide = pointsPerSide }
        if let pointsPerBatch { options.pointsPerBatch = pointsPerBatch }
        if let predIouThresh { options.predIoUThresh = predIouThresh }
        if let stabilityScoreThresh { options.stabilityScoreThresh = stabilityScoreThresh }
        if let stabilityScoreOffset { options.stabilityScoreOffset = stabilityScoreOffset }
        if let maskThreshold { options.maskThreshold = maskThreshold }
        if let boxNmsThresh { options.boxNMSThresh = boxNmsThresh }
        if let cropNLayers { options.cropNLayers = cropNLayers }
        if let cropNmsThresh { options.cropNMSThresh = cropNmsThresh }
        if let cropOverlapRatio { options.cropOverlapRatio = cropOverlapRatio }
        if let cropNPointsDownscaleFactor { options.cropNPointsDownscaleFactor = cropNPointsDownscaleFactor }
        if let minMaskRegionArea { options.minMaskRegionArea = minMaskRegionArea }
        if useM2m { options.useM2M = true }
        if let multimaskOutput { options.multimaskOutput = multimaskOutput }
        return options
    }
}

/// `samterm auto`: segment everything in one image (the official automatic mask generator).
struct Auto: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment everything: masks for a grid of points over the image, as COCO JSON.",
        discussion: """
            Flags are the official SAM2AutomaticMaskGenerator's arguments in kebab case; defaults \
            follow the model family (SAM 1 models: SamAutomaticMaskGenerator's). Without --out the \
            COCO JSON goes to standard output (unless --json asks for the summary there).

            Several images, folders or @LIST files run as a batch with the model loaded once: \
            --out DIR is then required and gets DIR/NAME.json per image; an image whose file exists \
            is skipped (--overwrite redoes it), so a killed run resumes where it stopped.
            """)

    @OptionGroup var batch: BatchOptions

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var generator: AutomaticMaskArguments

    @Option(help: "Resize the image to WIDTHxHEIGHT first (for timing); masks are for the resized image.")
    var size: String?

    @Option(help: "Write the COCO JSON to DIR/<image name>.json.")
    var out: String?

    @Option(help: "Write the image with every mask overlaid in a random colour to this PNG.")
    var overlay: String?

    @Option(help: "Seed of the overlay's colours.")
    var seed: UInt64 = 0

    @Flag(help: "Print a JSON summary (masks, model, timings in ms) to standard output.")
    var json = false

    func validate() throws {
        if let size, Bench.dimensions(size) == nil {
            throw ValidationError("--size \(size) is not WIDTHxHEIGHT of at most \(Bench.maxPixels / 1_000_000) megapixels.")
        }
    }

    func run() throws {
        if batch.shard == nil, BatchInputs.isSingleFile(batch.inputs) {
            return try runSingle(image: batch.inputs[0])
        }
        guard let out else { throw UsageError("--out DIR is needed for several images (each gets DIR/NAME.json)") }
        if overlay != nil { throw UsageError("--overlay draws one image; it cannot be used with several") }
        if json { throw UsageError("--json summarises one image; it cannot be used with several") }
        try batch.run(command: "auto", check: OutputFolders.checkDistinct) { () throws -> AutoBatchJob in
            let model = try modelOptions.loadModel()
            return try AutoBatchJob(predictor: Predictor(model: model), options: generator.options(for: model), out: out,
                                    size: size.flatMap(Bench.dimensions), seed: seed)
        }
    }

    private func runSingle(image: String) throws {
        var picture = try RGBImage.load(path: image)
        if let size, let target = Bench.dimensions(size) { picture = picture.resized(width: target.width, height: target.height) }
        let (model, loadMs) = try measure { try modelOptions.loadModel() }
        let predictor = try Predictor(model: model)
        let result = try Self.segmentEverything(
            image: picture, imageFileName: URL(fileURLWithPath: image).lastPathComponent, predictor: predictor,
            options: generator.options(for: model), outputFolder: out, overlay: overlay, seed: seed)
        if json {
            var summary = result.summary
            summary["timings_ms"] = ["load": loadMs, "generate": result.generateMs]
            let data = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else if out == nil {
            print(String(decoding: result.coco, as: UTF8.self), terminator: "")
        } else {
            FileHandle.standardError.write(Data("\(result.masks.count) masks in \(Int(result.generateMs)) ms\n".utf8))
        }
    }

    /// What one image gave: the masks, their COCO JSON and the generator's time.
    struct ImageResult {
        let masks: [AutomaticMask]
        let coco: [UInt8]
        let generateMs: Double
        let summary: [String: Any]
    }

    /// One image through the generator, with its outputs written: DIR/<image name>.json and the
    /// overlay. Callable per image by anything that walks many images with one predictor.
    static func segmentEverything(image: RGBImage, imageFileName: String, predictor: Predictor,
                                  options: AutomaticMaskOptions, outputFolder: String?, overlay: String?,
                                  seed: UInt64) throws -> ImageResult {
        let generated: ([AutomaticMask], Double)
        do {
            generated = try measure { try predictor.generateMasks(image: image, options: options) }
        } catch let error as EngineError where error.status == .argument {
            throw UsageError(error.message)
        }
        let (masks, generateMs) = generated
        let coco = try AutomaticMaskCOCO.encode(imageFileName: imageFileName, width: image.width, height: image.height,
                                                masks: masks, model: predictor.model.name)
        // The COCO file and the overlay are one set: both, or neither.
        let files = StagedFiles()
        if let outputFolder {
            try AtomicFileWriter.createFolder(outputFolder)
            try files.stage(coco, at: OutputFolders.jsonFile(for: imageFileName, in: outputFolder))
        }
        if let overlay {
            var random = SplitMix64(seed: seed)
            let layers = masks.map { mask in
                (mask: mask.segmentation.decode(),
                 color: RGBColor(red: random.nextByte(), green: random.nextByte(), blue: random.nextByte()))
            }
            try files.stage(try PNGWriter(image: MaskRendering.overlay(image: image, masks: layers)).encodePNG(), at: overlay)
        }
        try files.commit()
        let summary: [String: Any] = [
            "image": imageFileName, "width": image.width, "height": image.height, "model": predictor.model.name,
            "masks": masks.count, "timings_ms": ["generate": generateMs],
        ]
        return ImageResult(masks: masks, coco: coco, generateMs: generateMs, summary: summary)
    }
}

/// One image of a batch through the generator: OUT/NAME.json, written atomically, is its only
/// output, so its presence means the image is done.
struct AutoBatchJob: BatchJob {
    let predictor: Predictor
    let options: AutomaticMaskOptions
    let out: String
    let size: (width: Int, height: Int)?
    let seed: UInt64

    func isComplete(_ input: String) throws -> Bool {
        FileManager.default.fileExists(atPath: OutputFolders.jsonFile(for: input, in: out))
    }

    func process(_ input: String) throws {
        var picture = try RGBImage.load(path: input)
        if let size { picture = picture.resized(width: size.width, height: size.height) }
        _ = try Auto.segmentEverything(image: picture, imageFileName: URL(fileURLWithPath: input).lastPathComponent,
                                       predictor: predictor, options: options, outputFolder: out, overlay: nil, seed: seed)
    }
}
