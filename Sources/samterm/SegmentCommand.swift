import ArgumentParser
import Foundation
import Segmentation

/// A coordinate as people write it: decimal digits, a sign, a point, an exponent. Swift's
/// Float(String) would also read hexadecimal ("0x10" as 16), "inf" and "nan".
func decimalCoordinate<S: StringProtocol>(_ text: S) -> Float? {
    guard !text.isEmpty, text.allSatisfy({ "0123456789+-.eE".contains($0) }), let value = Float(String(text)),
          value.isFinite else { return nil }
    return value
}

/// `--point X,Y[,LABEL]`: original-image pixels, fractions allowed; label 1 foreground (default), 0 background.
struct PointArgument: ExpressibleByArgument {
    let point: PromptPoint

    init?(argument: String) {
        let fields = argument.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 2 || fields.count == 3,
              let x = decimalCoordinate(fields[0]), let y = decimalCoordinate(fields[1]) else { return nil }
        var label = PointLabel.foreground
        if fields.count == 3 {
            guard let value = Int32(fields[2]), value == 0 || value == 1 else { return nil }
            label = value == 1 ? .foreground : .background
        }
        point = PromptPoint(x: x, y: y, label: label)
    }

    static var defaultValueDescription: String { "X,Y[,LABEL]" }
}

/// `--box X0,Y0,X1,Y1` in original-image pixels.
struct BoxArgument: ExpressibleByArgument {
    let box: PromptBox

    init?(argument: String) {
        let values = argument.split(separator: ",", omittingEmptySubsequences: false).compactMap(decimalCoordinate)
        guard values.count == 4 else { return nil }
        box = PromptBox(x0: values[0], y0: values[1], x1: values[2], y1: values[3])
    }
}

/// `samterm segment`: one prompt against one image, masks and scores out — the seed tutorial's
/// flow from the shell. Refine by passing a previous run's logits back with --mask-input.
/// Given several images, a folder or a list, the same prompt goes to every image (a batch:
/// SegmentBatchJob), each image's outputs into a folder of its own under --out.
struct Segment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment an image from point and box prompts.",
        discussion: """
            Coordinates are original-image pixels (x right, y down). Refine a result by feeding its \
            low-resolution logits back: --mask-input OUT/logits.npy:INDEX (or OUT/best-logits.npy).

            --fill-holes AREA and --remove-islands AREA clean every mask written (each candidate's \
            PNG, its area and bbox, the overlay) as the official remove_small_regions does, with \
            8-connectivity: holes (background regions) smaller than AREA pixels are filled first, \
            then islands smaller than AREA are removed (the largest stays if all are). The logits \
            are the model's, unchanged.

            Several images, folders or @LIST files make a batch: the prompt applies to every image \
            (a --box suits datasets), each image's outputs go to OUT/NAME/ (NAME: the image's file \
            name without extension), images whose OUT/NAME/result.json exists are skipped.

            --boxes FILE turns a detector's boxes into masks: FILE is a COCO results list (with \
            --images COCO.json naming its images and categories), a COCO dataset whose annotations \
            have boxes, or a folder of YOLO detection labels. Every box becomes one object (one mask, \
            the box as its prompt) with its class and score; each image's objects are saved as a \
            session in OUT/sessions/ (open them with `samterm edit IMAGES --session-dir OUT/sessions` \
            to correct them), then written as a dataset into OUT (--format, default coco-dataset).
            """)

    @OptionGroup var batch: BatchOptions

    @OptionGroup var modelOptions: ModelOptions

    // Values may start with a minus (a point left of the image is an error about the image, not
    // a missing value), so the word after the option is always its value.
    @Option(name: .customLong("point"), parsing: .unconditionalSingleValue,
            help: "A point X,Y[,LABEL] (decimal); LABEL 1 = foreground (default), 0 = background. Repeatable.")
    var points: [PointArgument] = []

    @Option(parsing: .unconditional, help: "A box X0,Y0,X1,Y1 (decimal).")
    var box: BoxArgument?

    @Option(help: "Low-res logits of an earlier prediction: FILE.npy of shape [256,256] or [1,256,256], or FILE.npy:INDEX for one row of [C,256,256].")
    var maskInput: String?

    @Flag(inversion: .prefixedEnableDisable, help: "Three candidates (default) or one.")
    var multimask = true

    @Flag(help: "One candidate (same as --disable-multimask).")
    var single = false

    /// `--multimask`, as SAM's multimask_output: three candidates, the default anyway.
    @Flag(name: .customLong("multimask"), help: .hidden)
    var multimaskWord = false

    // Values may start with a minus, so that a negative area is reported as such.
    @Option(name: .customLong("fill-holes"), parsing: .unconditional,
            help: ArgumentHelp("Fill holes smaller than AREA pixels in every mask written (default 0: none).", valueName: "AREA"))
    var fillHoles = 0

    @Option(name: .customLong("remove-islands"), parsing: .unconditional,
            help: ArgumentHelp("Remove islands smaller than AREA pixels from every mask written, after --fill-holes (default 0: none).",
                               valueName: "AREA"))
    var removeIslands = 0

    @Option(help: "Write mask-N.png, logits.npy, best-logits.npy and result.json into this folder (a batch: into OUT/NAME/ per image).")
    var out: String?

    @OptionGroup var boxes: DetectorBoxesOptions

    @Option(help: "Write the image with the best mask overlaid (alpha 0.6) and its score to this PNG.")
    var overlay: String?

    @Flag(help: "Print result.json to standard output.")
    var json = false

    func validate() throws {
        if boxes.boxes != nil {
            for (given, name) in [(!points.isEmpty, "--point"), (box != nil, "--box"), (maskInput != nil, "--mask-input"),
                                  (overlay != nil, "--overlay"), (json, "--json"), (fillHoles != 0 || removeIslands != 0, "--fill-holes/--remove-islands")]
                where given {
                throw ValidationError("\(name) does not go with --boxes: every detector box is the prompt of one mask")
            }
            if out == nil { throw ValidationError("--boxes needs --out DIR for the sessions and the dataset files") }
            return try boxes.validate()
        }
        if boxes.isGiven { throw ValidationError("--images, --min-score, --format and --classes go with --boxes") }
        if points.isEmpty && box == nil && maskInput == nil {
            throw ValidationError("Give at least one --point or a --box.")
        }
        for (area, name) in [(fillHoles, "--fill-holes"), (removeIslands, "--remove-islands")] where area < 0 {
            throw ValidationError("\(name) \(area): an area is a number of pixels, 0 or more.")
        }
        if let box = box?.box, box.x1 < box.x0 || box.y1 < box.y0 {
            throw ValidationError("--box \(box.x0),\(box.y0),\(box.x1),\(box.y1): x1 must not be less than x0, nor y1 less than y0.")
        }
    }

    func run() throws {
        if let file = boxes.boxes, let out {
            return try SegmentBoxes(options: boxes, file: file, out: out, batch: batch, modelOptions: modelOptions).run()
        }
        if batch.shard == nil, BatchInputs.isSingleFile(batch.inputs) {
            try runSingle(image: batch.inputs[0])
        } else {
            try runBatch()
        }
    }

    private func runSingle(image: String) throws {
        let picture = try RGBImage.load(path: image)
        let prompt = try makePrompt(for: picture, imagePath: image)
        let (model, loadMs) = try measure { try modelOptions.loadModel() }
        if let maskInput = prompt.maskInput, maskInput.count != model.lowResSize * model.lowResSize {
            throw UsageError("--mask-input \(self.maskInput!): \(model.name) takes \(model.lowResSize)x\(model.lowResSize) logits")
        }
        let predictor = try Predictor(model: model)
        let (_, setImageMs) = try measure { try predictor.setImage(picture) }
        let (candidates, predictMs) = try measure { try predictor.predict(prompt) }

        let result = SegmentResult(
            model: model, image: picture, prompt: prompt, candidates: candidates, masks: cleanedMasks(of: candidates),
            cleanUp: cleanUp, timings: ["load": loadMs, "set_image": setImageMs, "predict": predictMs])
        // The outputs and the overlay are one set: all of them, or none.
        let files = StagedFiles()
        if let out { try stageOutputs(result, candidates: candidates, into: out, files: files) }
        if let overlay, let best = result.masks[candidates.best] {
            let color = ObjectPalette.color(at: 0)
            let tinted = MaskRendering.overlay(image: picture, masks: [(best, color)])
            // Titled as the seed tutorial titles its figures.
            let title = String(format: "Mask %d, Score: %.3f", candidates.best + 1, candidates.scores[candidates.best])
            try files.stage(try PNGWriter(image: Caption.draw(title, on: tinted)).encodePNG(), at: overlay)
        }
        try files.commit()
        if json {
            print(try result.jsonText())
        } else {
            print(result.summary)
        }
    }

    private func runBatch() throws {
        for (given, name) in [(overlay != nil, "--overlay"), (json, "--json"), (maskInput != nil, "--mask-input")] where given {
            throw UsageError("\(name) takes one image; a batch writes result.json per image under --out")
        }
        guard let out else { throw UsageError("several images need --out FOLDER for their outputs") }
        try batch.run(command: "segment", check: OutputFolders.checkDistinct) {
            try SegmentBatchJob(command: self, model: modelOptions.loadModel(), out: out)
        }
    }

    /// The prompt, checked against the image: every point and the box must lie on it.
    func makePrompt(for picture: RGBImage, imagePath image: String) throws -> Prompt {
        let width = Float(picture.width), height = Float(picture.height)
        for argument in points {
            let point = argument.point
            guard (0...width).contains(point.x), (0...height).contains(point.y) else {
                throw UsageError("--point \(point.x),\(point.y) lies outside the \(picture.width)x\(picture.height) image \(image)")
            }
        }
        if let box = box?.box, box.x0 < 0 || box.y0 < 0 || box.x1 > width || box.y1 > height {
            throw UsageError("--box \(box.x0),\(box.y0),\(box.x1),\(box.y1) reaches outside the \(picture.width)x\(picture.height) image \(image)")
        }
        return Prompt(points: points.map(\.point), box: box?.box, maskInput: try readFiniteMaskInput(),
                      multimask: multimask && !single)
    }

    /// The clean-up asked for, as result.json records it (nil when none).
    var cleanUp: [String: Int]? {
        fillHoles == 0 && removeIslands == 0 ? nil : ["fill_holes": fillHoles, "remove_islands": removeIslands]
    }

    /// A mask as written: holes filled, then islands removed.
    func clean(_ mask: BinaryMask) -> BinaryMask {
        mask.cleaned(fillingHolesBelow: fillHoles, removingIslandsBelow: removeIslands)
    }

    /// Each candidate's mask as written.
    func cleanedMasks(of candidates: MaskCandidates) -> [BinaryMask?] {
        (0..<candidates.count).map { candidates.mask(at: $0).map(clean) }
    }

    /// Reads FILE.npy or FILE.npy:INDEX into one row of low-resolution logits.
    private func readMaskInput() throws -> [Float]? {
        guard let maskInput else { return nil }
        var path = maskInput, row: Int?
        if let colon = maskInput.lastIndex(of: ":"), let index = Int(maskInput[maskInput.index(after: colon)...]) {
            path = String(maskInput[..<colon])
            row = index
        }
        let array: NumpyArray
        do { array = try NumpyArray.read(path: path) } catch { throw UsageError("--mask-input \(error)") }
        guard let values = array.floats else { throw UsageError("--mask-input \(path): expected float32 logits") }
        let shape = array.shape
        switch (shape.count, row) {
        case (2, nil) where shape[0] == shape[1]:
            return values
        case (3, nil) where shape[0] == 1 && shape[1] == shape[2]:
            return values
        case (3, let index?) where shape[1] == shape[2] && (0..<shape[0]).contains(index):
            let side = shape[1] * shape[2]
            return Array(values[index * side..<(index + 1) * side])
        case (3, let index?) where shape[1] == shape[2]:
            throw UsageError("--mask-input \(maskInput): index \(index) is out of range: \(path) holds \(shape[0]) rows (0...\(shape[0] - 1))")
        case (3, nil) where shape[1] == shape[2]:
            throw UsageError("--mask-input \(path) holds \(shape[0]) candidates: pick one with \(path):INDEX")
        default:
            throw UsageError("--mask-input \(maskInput): shape \(shape) is not [256,256], [1,256,256] or a row of [C,256,256]")
        }
    }

    /// The mask input's logits, refused when any is not a finite number (NaN would spread
    /// through the model into every output).
    private func readFiniteMaskInput() throws -> [Float]? {
        guard let values = try readMaskInput() else { return nil }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw UsageError("--mask-input \(maskInput ?? ""): value \(bad) is \(values[bad]), not a finite number")
        }
        return values
    }

    /// Writes mask-N.png, logits.npy, best-logits.npy and result.json into `folder` as a set.
    func writeOutputs(_ result: SegmentResult, candidates: MaskCandidates, into folder: String) throws {
        let files = StagedFiles()
        try stageOutputs(result, candidates: candidates, into: folder, files: files)
        try files.commit()
    }

    private func stageOutputs(_ result: SegmentResult, candidates: MaskCandidates, into folder: String, files: StagedFiles) throws {
        try AtomicFileWriter.createFolder(folder)
        let side = candidates.lowResSize
        var logits: [Float] = []
        for index in 0..<candidates.count {
            if let mask = result.masks[index] {
                try files.stage(try PNGWriter(gray8: mask.grayBytes, width: mask.width, height: mask.height).encodePNG(),
                                at: "\(folder)/mask-\(index).png")
            }
            logits += candidates.lowResLogits(at: index)
        }
        try files.stage(NumpyArray(shape: [candidates.count, side, side], floats: logits).encoded(), at: "\(folder)/logits.npy")
        try files.stage(NumpyArray(shape: [1, side, side], floats: candidates.lowResLogits(at: candidates.best)).encoded(),
                        at: "\(folder)/best-logits.npy")
        try files.stage(Array((try result.jsonText() + "\n").utf8), at: "\(folder)/result.json")
    }
}

/// What `segment` reports: result.json and its human-readable summary.
struct SegmentResult {
    let model: Model
    let image: RGBImage
    let prompt: Prompt
    let candidates: MaskCandidates
    /// The candidates' masks as written (cleaned up when asked).
    let masks: [BinaryMask?]
    /// --fill-holes and --remove-islands when given (recorded in result.json).
    let cleanUp: [String: Int]?
    let timings: [String: Double]
    /// The image file, recorded in batch results (a single image's result.json leaves it out).
    var source: String? = nil

    func jsonText() throws -> String {
        var entries: [[String: Any]] = []
        for index in 0..<candidates.count {
            var entry: [String: Any] = ["index": index, "score": Double(candidates.scores[index])]
            if let mask = masks[index] {
                entry["area"] = mask.area
                entry["bbox"] = mask.boundingBox?.cocoArray ?? [0, 0, 0, 0]
            }
            entries.append(entry)
        }
        var imageObject: [String: Any] = ["width": image.width, "height": image.height]
        if let source { imageObject["path"] = source }
        var object: [String: Any] = [
            "model": model.name,
            "device": model.device,
            "image": imageObject,
            "prompt": Self.promptObject(prompt),
            "candidates": entries,
            "best": candidates.best,
            "timings_ms": timings.mapValues { ($0 * 100).rounded() / 100 },
        ]
        if let cleanUp { object["clean_up"] = cleanUp }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func promptObject(_ prompt: Prompt) -> [String: Any] {
        var object: [String: Any] = [
            "points": prompt.points.map { [Double($0.x), Double($0.y), Int($0.label.rawValue)] },
            "multimask": prompt.multimask,
            "mask_input": prompt.maskInput != nil,
        ]
        if let box = prompt.box { object["box"] = [box.x0, box.y0, box.x1, box.y1].map(Double.init) }
        return object
    }

    var summary: String {
        var lines = ["\(model.name) on \(model.device), image \(image.width)x\(image.height)"]
        for index in 0..<candidates.count {
            let marker = index == candidates.best ? "*" : " "
            var line = "\(marker) candidate \(index)  score \(String(format: "%.4f", candidates.scores[index]))"
            if let mask = masks[index] {
                line += "  area \(mask.area)"
                if let box = mask.boundingBox { line += "  bbox \(box.x),\(box.y),\(box.width),\(box.height)" }
            }
            lines.append(line)
        }
        let times = ["load", "set_image", "predict"].compactMap { key in
            timings[key].map { "\(key) \(String(format: "%.1f", $0)) ms" }
        }
        lines.append(times.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}
