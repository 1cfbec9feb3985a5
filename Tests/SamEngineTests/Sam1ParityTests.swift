// Parity with the official SAM 1 SamPredictor (segment-anything) on the tiny SAM 1 fixture
// model, through the real checkpoint reader, ViT image encoder, prompt encoder and mask decoder,
// and SAM 1's own pre- and postprocessing (longest side resized with PIL's filter, padding,
// cropping before the final resize).
// Fixtures: Tests/Fixtures/sam1, made by tools/make_sam1_fixtures.py.

import Foundation
import Segmentation
import XCTest

final class Sam1ParityTests: XCTestCase {
    static let fixture = ParityFixture("sam1")
    static let fixtures = fixture.folder
    static let modelName = "sam_test_tiny"

    struct Manifest: Decodable {
        let model: String
        let low_res_size: Int
        let logits_sample: LogitsSample
        let mask_input_encoding: MaskInputEncoding
        let cases: [ParityCase]
        let resized_outputs: [ResizedOutput]

        struct MaskInputEncoding: Decodable {
            let zero: Float
            let scale: Float
        }
    }

    struct ResizedOutput: Decodable {
        let `case`: String
        let width: Int
        let height: Int
        let mask: String
    }

    static func path(_ name: String) -> String { fixture.path(name) }

    static func manifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: path("cases.json"))))
    }

    static func image(_ name: String) throws -> RGBImage { try fixture.image(name) }

    /// The mask input the reference was given: one byte per logit, (byte - zero) / scale.
    static func maskInput(_ file: String, _ encoding: Manifest.MaskInputEncoding) throws -> [Float] {
        let codes = try XCTUnwrap(try NumpyArray.read(path: path(file)).bytes)
        return codes.map { (Float($0) - encoding.zero) / encoding.scale }
    }

    static func prompt(for testCase: ParityCase, _ manifest: Manifest) throws -> Prompt {
        try fixture.prompt(for: testCase, maskInput: try testCase.mask_input.map { try maskInput($0, manifest.mask_input_encoding) })
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
        try Self.fixture.assertEveryCaseMatches(manifest.cases, lowResSize: manifest.low_res_size,
                                                sample: manifest.logits_sample, predictor: try Predictor(model: model),
                                                label: label, prompt: { try Self.prompt(for: $0, manifest) })
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
