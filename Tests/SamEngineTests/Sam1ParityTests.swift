// Parity with the official SAM 1 SamPredictor (segment-anything) on the tiny SAM 1 fixture
// model, through the real checkpoint reader, ViT image encoder, prompt encoder and mask decoder,
// and SAM 1's own pre- and postprocessing (longest side resized with PIL's filter, padding,
// cropping before the final resize).
// Fixtures: Tests/Fixtures/sam1, made by tools/make_sam1_fixtures.py.

import Foundation
import Segmentation
import XCTest

final class Sam1ParityTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sam1")
    static let modelName = "sam_test_tiny"

    struct Manifest: Decodable {
        let model: String
        let low_res_size: Int
        let logits_sample: Sample
        let mask_input_encoding: MaskInputEncoding
        let cases: [Case]
        let resized_outputs: [ResizedOutput]

        struct Sample: Decodable {
            let start: Int
            let step: Int
        }

        struct MaskInputEncoding: Decodable {
            let zero: Float
            let scale: Float
        }
    }

    struct Case: Decodable {
        let name: String
        let image: String
        let points: [[Float]]?
        let labels: [Int32]?
        let box: [Float]?
        let multimask: Bool
        let mask_input: String?
        let candidates: Int
        let best: Int
    }

    struct ResizedOutput: Decodable {
        let `case`: String
        let width: Int
        let height: Int
        let mask: String
    }

    static func path(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    static func manifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: fixtures.appendingPathComponent("cases.json")))
    }

    static func image(_ name: String) throws -> RGBImage {
        let array = try NumpyArray.read(path: path("image_\(name).npy"))
        XCTAssertEqual(array.shape.count, 3)
        return RGBImage(width: array.shape[1], height: array.shape[0], pixels: try XCTUnwrap(array.bytes))
    }

    /// The mask input the reference was given: one byte per logit, (byte - zero) / scale.
    static func maskInput(_ file: String, _ encoding: Manifest.MaskInputEncoding) throws -> [Float] {
        let codes = try XCTUnwrap(try NumpyArray.read(path: path(file)).bytes)
        return codes.map { (Float($0) - encoding.zero) / encoding.scale }
    }

    static func prompt(for testCase: Case, _ manifest: Manifest) throws -> Prompt {
        var prompt = Prompt(multimask: testCase.multimask)
        for (point, label) in zip(testCase.points ?? [], testCase.labels ?? []) {
            prompt.points.append(PromptPoint(x: point[0], y: point[1], label: try XCTUnwrap(PointLabel(rawValue: label))))
        }
        if let box = testCase.box { prompt.box = PromptBox(x0: box[0], y0: box[1], x1: box[2], y1: box[3]) }
        if let file = testCase.mask_input { prompt.maskInput = try maskInput(file, manifest.mask_input_encoding) }
        return prompt
    }

    static func mask(_ file: String) throws -> BinaryMask {
        let array = try NumpyArray.read(path: path(file))
        XCTAssertEqual(array.shape.count, 2)
        return BinaryMask(width: array.shape[1], height: array.shape[0], bytes: try XCTUnwrap(array.bytes))
    }

    // One model for the whole class: loading it runs the checkpoint reader every time.
    nonisolated(unsafe) static var sharedModel: Model?
    func model() throws -> Model {
        if let model = Self.sharedModel { return model }
        let model = try Model(path: Self.path("tiny_sam1.pth"), device: .cpu)
        Self.sharedModel = model
        return model
    }

    // MARK: parity

    func testDetectsTheFixturePreset() throws {
        let model = try model()
        XCTAssertEqual(model.name, Self.modelName)
        XCTAssertEqual(model.device, "cpu")
        XCTAssertEqual(model.lowResSize, 256)
    }

    func testEveryCaseMatchesTheReference() throws {
        try assertEveryCaseMatches(model: try model(), label: "cpu kernels")
    }

    /// The generic path, which a CUDA device runs: the plain port of every module, no CPU kernels.
    func testEveryCaseMatchesTheReferenceOnTheGenericPath() throws {
        let model = try Model(path: Self.path("tiny_sam1.pth"), device: .cpu, kernels: .generic)
        XCTAssertEqual(model.kernels, "generic")
        try assertEveryCaseMatches(model: model, label: "generic path")
    }

    func assertEveryCaseMatches(model: Model, label: String) throws {
        let manifest = try Self.manifest()
        XCTAssertGreaterThanOrEqual(manifest.cases.count, 8)
        let predictor = try Predictor(model: model)
        let side = manifest.low_res_size
        let sampled = Array(stride(from: manifest.logits_sample.start, to: side, by: manifest.logits_sample.step))
        var currentImage = ""
        for testCase in manifest.cases {
            if testCase.image != currentImage {
                try predictor.setImage(try Self.image(testCase.image))
                currentImage = testCase.image
            }
            let result = try predictor.predict(try Self.prompt(for: testCase, manifest))
            let name = "\(label): \(testCase.name)"
            XCTAssertEqual(result.count, testCase.candidates, name)
            XCTAssertEqual(result.best, testCase.best, name)

            let scores = try XCTUnwrap(try NumpyArray.read(path: Self.path("\(testCase.name)_scores.npy")).floats)
            for (index, score) in scores.enumerated() {
                XCTAssertEqual(result.scores[index], score, accuracy: 1e-4, "\(name): score \(index)")
            }

            let sample = try NumpyArray.read(path: Self.path("\(testCase.name)_logits_sample.npy"))
            XCTAssertEqual(sample.shape, [testCase.candidates, sampled.count, sampled.count], name)
            let reference = try XCTUnwrap(sample.floats)
            for candidate in 0..<result.count {
                let logits = result.lowResLogits(at: candidate)
                var worst: Float = 0
                for (row, y) in sampled.enumerated() {
                    for (column, x) in sampled.enumerated() {
                        let expected = reference[(candidate * sampled.count + row) * sampled.count + column]
                        worst = max(worst, abs(logits[y * side + x] - expected))
                    }
                }
                XCTAssertLessThanOrEqual(worst, 1e-3, "\(name): low-res logits of candidate \(candidate)")
            }

            let masks = try NumpyArray.read(path: Self.path("\(testCase.name)_masks.npy"))
            XCTAssertEqual(masks.shape, [testCase.candidates, result.maskHeight, result.maskWidth], name)
            let maskBytes = try XCTUnwrap(masks.bytes)
            let pixels = result.maskWidth * result.maskHeight
            for candidate in 0..<result.count {
                let expected = BinaryMask(width: result.maskWidth, height: result.maskHeight,
                                          bytes: Array(maskBytes[candidate * pixels..<(candidate + 1) * pixels]))
                let mask = try XCTUnwrap(result.mask(at: candidate), name)
                XCTAssertGreaterThanOrEqual(mask.iou(expected), 0.999, "\(name): mask \(candidate)")
            }
        }
    }

    /// Masks at sizes other than the image's go through SAM 1's padded square and crop, as
    /// postprocess_masks does with another original_size.
    func testMasksAtOtherSizesMatchTheReference() throws {
        let manifest = try Self.manifest()
        XCTAssertFalse(manifest.resized_outputs.isEmpty)
        let predictor = try Predictor(model: try model())
        for output in manifest.resized_outputs {
            let testCase = try XCTUnwrap(manifest.cases.first { $0.name == output.case })
            try predictor.setImage(try Self.image(testCase.image))
            let options = MaskOutputOptions(size: (width: output.width, height: output.height), bestMaskOnly: true)
            let result = try predictor.predict(try Self.prompt(for: testCase, manifest), options: options)
            XCTAssertEqual(result.maskWidth, output.width)
            XCTAssertEqual(result.maskHeight, output.height)
            let mask = try XCTUnwrap(result.bestMask, output.mask)
            XCTAssertGreaterThanOrEqual(mask.iou(try Self.mask(output.mask)), 0.999, output.mask)
        }
    }

    // MARK: checkpoints that do not fit

    func testAnOfficialSam1PresetNamesTheTensorsThatDoNotFit() throws {
        XCTAssertThrowsError(try Model(path: Self.path("tiny_sam1.pth"), modelName: "sam_vit_b", device: .cpu)) { error in
            guard let error = error as? EngineError else { return XCTFail("not an EngineError: \(error)") }
            XCTAssertEqual(error.status, .model)
            XCTAssertTrue(error.message.contains("tiny_sam1.pth"), error.message)
            XCTAssertTrue(error.message.contains("sam_vit_b"), error.message)
            XCTAssertTrue(error.message.contains("image_encoder.patch_embed.proj.weight"), error.message)
        }
    }

    func testTheSam1FixtureIsNotTakenForASam2Model() throws {
        XCTAssertThrowsError(try Model(path: Self.path("tiny_sam1.pth"), modelName: "sam2.1_test_tiny", device: .cpu)) { error in
            XCTAssertEqual((error as? EngineError)?.status, .model)
        }
    }

    // MARK: embeddings

    func temporaryPath(_ name: String) -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sam1-parity-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder.appendingPathComponent(name).path
    }

    /// A SAM 1 embedding file holds the image embedding alone; the padded input size comes
    /// back from the image size it records.
    func testEmbeddingRoundTripGivesIdenticalPredictions() throws {
        let model = try model()
        let prompt = Prompt(points: [PromptPoint(x: 20, y: 28, label: .foreground), PromptPoint(x: 5, y: 50, label: .background)],
                            box: PromptBox(x0: 4, y0: 10, x1: 36, y1: 50))
        let encoder = try Predictor(model: model)
        try encoder.setImage(try Self.image("tall"))
        let direct = try encoder.predict(prompt)
        let path = temporaryPath("tall.samembed")
        try encoder.saveEmbedding(path: path, imageKey: "sha256:tall")

        let loader = try Predictor(model: model)
        try loader.loadEmbedding(path: path, imageKey: "sha256:tall")
        XCTAssertTrue(loader.hasImage)
        let loaded = try loader.predict(prompt)
        XCTAssertEqual(loaded.scores, direct.scores)
        XCTAssertEqual(loaded.maskWidth, 40)
        XCTAssertEqual(loaded.maskHeight, 56)
        for index in 0..<direct.count {
            XCTAssertEqual(loaded.lowResLogits(at: index), direct.lowResLogits(at: index))
            XCTAssertEqual(loaded.mask(at: index), direct.mask(at: index))
        }
    }

    func testEmbeddingOfTheSam2FixtureIsRejected() throws {
        let sam2 = try Model(path: Self.fixtures.deletingLastPathComponent().appendingPathComponent("sam2/tiny_sam2.1.pt").path,
                             device: .cpu)
        let other = try Predictor(model: sam2)
        try other.setImage(try Self.image("wide"))
        let path = temporaryPath("wide.samembed")
        try other.saveEmbedding(path: path, imageKey: "key")
        let predictor = try Predictor(model: try model())
        XCTAssertThrowsError(try predictor.loadEmbedding(path: path, imageKey: "key")) { error in
            XCTAssertEqual((error as? EngineError)?.status, .format)
        }
        XCTAssertFalse(predictor.hasImage)
    }
}
