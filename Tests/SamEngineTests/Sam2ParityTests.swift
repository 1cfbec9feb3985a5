// Parity with the official SAM2ImagePredictor on the tiny SAM 2.1 fixture model, through the
// real checkpoint reader, image encoder, prompt encoder and mask decoder.
// Fixtures: Tests/Fixtures/sam2, made by tools/make_sam2_fixtures.py.

import Foundation
import Segmentation
import XCTest

final class Sam2ParityTests: XCTestCase {
    static let fixture = ParityFixture("sam2")
    static let modelName = "sam2.1_test_tiny"

    struct Manifest: Decodable {
        let model: String
        let low_res_size: Int
        let logits_sample: LogitsSample
        let cases: [ParityCase]
    }

    static func path(_ name: String) -> String { fixture.path(name) }

    static func manifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: path("cases.json"))))
    }

    static func image(_ name: String) throws -> RGBImage { try fixture.image(name) }

    static func prompt(for testCase: ParityCase) throws -> Prompt {
        try fixture.prompt(for: testCase, maskInput: try testCase.mask_input.map { try NumpyArray.read(path: path($0)).floats } ?? nil)
    }

    // One model for the whole class: loading it runs the checkpoint reader every time.
    nonisolated(unsafe) static var sharedModel: Model?
    func model() throws -> Model {
        if let model = Self.sharedModel { return model }
        let model = try Model(path: Self.path("tiny_sam2.1.pt"), device: .cpu)
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
        try assertEveryCaseMatches(model: try model(), label: "default order")
    }

    /// The CPU's decoder plan can evaluate its image/token attentions in the reference's order or
    /// in a cheaper one; the tiny model picks the reference order by itself, so force each in turn.
    func testEveryCaseMatchesTheReferenceInEitherAttentionOrder() throws {
        for order in [DecoderOrder.reference, .reordered] {
            let model = try Model(path: Self.path("tiny_sam2.1.pt"), device: .cpu, decoderOrder: order)
            try assertEveryCaseMatches(model: model, label: "\(order) order")
        }
    }

    /// The generic path, which a CUDA device runs: the plain port of every module, no CPU kernels.
    func testEveryCaseMatchesTheReferenceOnTheGenericPath() throws {
        let model = try Model(path: Self.path("tiny_sam2.1.pt"), device: .cpu, kernels: .generic)
        XCTAssertEqual(model.kernels, "generic")
        XCTAssertEqual(model.precision, "fp32")
        try assertEveryCaseMatches(model: model, label: "generic path")
    }

    func assertEveryCaseMatches(model: Model, label: String) throws {
        let manifest = try Self.manifest()
        try Self.fixture.assertEveryCaseMatches(manifest.cases, lowResSize: manifest.low_res_size,
                                                sample: manifest.logits_sample, predictor: try Predictor(model: model),
                                                label: label, prompt: Self.prompt(for:))
    }

    /// refine_mask_input.npy holds the complete low-res logits of one case's best candidate.
    func testFullLowResLogitsMatchTheReference() throws {
        let manifest = try Self.manifest()
        let refinement = try XCTUnwrap(manifest.cases.first { $0.mask_input != nil })
        let source = try XCTUnwrap(manifest.cases.first { $0.name == refinement.mask_input_from })
        let predictor = try Predictor(model: try model())
        try predictor.setImage(try Self.image(source.image))
        let result = try predictor.predict(try Self.prompt(for: source))
        let reference = try NumpyArray.read(path: Self.path(try XCTUnwrap(refinement.mask_input)))
        XCTAssertEqual(reference.shape, [1, manifest.low_res_size, manifest.low_res_size])
        let expected = try XCTUnwrap(reference.floats)
        let logits = result.lowResLogits(at: result.best)
        let worst = zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, 1e-3)
    }

    // MARK: checkpoints that do not fit

    func testCheckpointWithMissingAndMisshapenTensorsNamesThem() throws {
        for name in [nil, Self.modelName] {
            XCTAssertThrowsError(try Model(path: Self.path("broken_checkpoint.pt"), modelName: name, device: .cpu)) { error in
                guard let error = error as? EngineError else { return XCTFail("not an EngineError: \(error)") }
                XCTAssertEqual(error.status, .model)
                XCTAssertTrue(error.message.contains("broken_checkpoint.pt"), error.message)
                XCTAssertTrue(error.message.contains("sam_mask_decoder.iou_token.weight"), error.message)
                XCTAssertTrue(error.message.contains("sam_prompt_encoder.no_mask_embed.weight"), error.message)
            }
        }
    }

    func testTheCpuRunsItsOwnKernelsUnlessToldOtherwise() throws {
        XCTAssertEqual(try model().kernels, "cpu-kernels")
        XCTAssertEqual(try model().precision, "fp32")
        // Half precision is the GPU's path: the CPU's kernels are float32 code.
        let bf16 = try Model(path: Self.path("tiny_sam2.1.pt"), device: .cpu, precision: .bf16)
        XCTAssertEqual(bf16.kernels, "generic")
        XCTAssertEqual(bf16.precision, "bf16")
    }

    func testUnknownModelNameIsAnArgumentError() {
        XCTAssertThrowsError(try Model(path: Self.path("tiny_sam2.1.pt"), modelName: "sam3_hiera_x", device: .cpu)) { error in
            XCTAssertEqual((error as? EngineError)?.status, .argument)
        }
    }

    // MARK: embeddings

    func temporaryPath(_ name: String) -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sam2-parity-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder.appendingPathComponent(name).path
    }

    func testEmbeddingRoundTripGivesIdenticalPredictions() throws {
        let model = try model()
        let prompt = Prompt(points: [PromptPoint(x: 30, y: 20, label: .foreground), PromptPoint(x: 5, y: 40, label: .background)])
        let encoder = try Predictor(model: model)
        try encoder.setImage(try Self.image("wide"))
        let direct = try encoder.predict(prompt)
        let path = temporaryPath("wide.samembed")
        try encoder.saveEmbedding(path: path, imageKey: "sha256:wide")

        let loader = try Predictor(model: model)
        XCTAssertFalse(loader.hasImage)
        try loader.loadEmbedding(path: path, imageKey: "sha256:wide")
        XCTAssertTrue(loader.hasImage)
        let loaded = try loader.predict(prompt)
        XCTAssertEqual(loaded.scores, direct.scores)
        XCTAssertEqual(loaded.maskWidth, direct.maskWidth)
        XCTAssertEqual(loaded.maskHeight, direct.maskHeight)
        for index in 0..<direct.count {
            XCTAssertEqual(loaded.lowResLogits(at: index), direct.lowResLogits(at: index))
            XCTAssertEqual(loaded.mask(at: index), direct.mask(at: index))
        }
    }

    func testEmbeddingForAnotherImageKeyIsRejected() throws {
        let predictor = try Predictor(model: try model())
        try predictor.setImage(try Self.image("tall"))
        let path = temporaryPath("tall.samembed")
        try predictor.saveEmbedding(path: path, imageKey: "sha256:tall")
        XCTAssertThrowsError(try predictor.loadEmbedding(path: path, imageKey: "sha256:other")) { error in
            guard let error = error as? EngineError else { return XCTFail("not an EngineError: \(error)") }
            XCTAssertEqual(error.status, .format)
            XCTAssertTrue(error.message.contains("sha256:tall"), error.message)
        }
    }

    func testEmbeddingOfAnotherModelOrDamagedIsRejected() throws {
        let predictor = try Predictor(model: try model())
        try predictor.setImage(try Self.image("tall"))
        let path = temporaryPath("tall.samembed")
        try predictor.saveEmbedding(path: path, imageKey: "key")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))

        // The same file claiming another model of the same name length.
        var otherModel = bytes
        let name = Array(Self.modelName.utf8)
        let at = try XCTUnwrap((0...(bytes.count - name.count)).first { Array(bytes[$0..<$0 + name.count]) == name })
        otherModel.replaceSubrange(at..<at + name.count, with: Array("sam2.1_hiera_tX".padding(toLength: name.count, withPad: "x", startingAt: 0).utf8))
        try Data(otherModel).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try predictor.loadEmbedding(path: path, imageKey: "key")) { error in
            XCTAssertEqual((error as? EngineError)?.status, .format)
            XCTAssertTrue((error as? EngineError)?.message.contains("made by") ?? false, "\(error)")
        }

        for length in [0, 7, 40, bytes.count / 2, bytes.count - 1] {
            try Data(bytes.prefix(length)).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try predictor.loadEmbedding(path: path, imageKey: "key"), "truncated to \(length)") { error in
                XCTAssertEqual((error as? EngineError)?.status, .format)
            }
        }
        XCTAssertThrowsError(try predictor.loadEmbedding(path: path + ".missing", imageKey: "key")) { error in
            XCTAssertEqual((error as? EngineError)?.status, .io)
        }
        // The failed loads leave the predictor's own image in place.
        XCTAssertTrue(predictor.hasImage)
    }

    // MARK: invalid prompts

    func testMaskInputOfTheWrongSizeIsRejected() throws {
        let predictor = try Predictor(model: try model())
        try predictor.setImage(try Self.image("wide"))
        let prompt = Prompt(points: [PromptPoint(x: 10, y: 10, label: .foreground)],
                            maskInput: [Float](repeating: 0, count: 128 * 128))
        XCTAssertThrowsError(try predictor.predict(prompt)) { error in
            guard let error = error as? EngineError else { return XCTFail("not an EngineError: \(error)") }
            XCTAssertEqual(error.status, .argument)
            XCTAssertTrue(error.message.contains("256"), error.message)
        }
    }

    func testPredictWithoutAnImageIsRejected() throws {
        let predictor = try Predictor(model: try model())
        XCTAssertThrowsError(try predictor.predict(Prompt(points: [PromptPoint(x: 1, y: 1, label: .foreground)]))) { error in
            XCTAssertEqual((error as? EngineError)?.status, .argument)
        }
    }

    func testNonFinitePointIsRejected() throws {
        let predictor = try Predictor(model: try model())
        try predictor.setImage(try Self.image("wide"))
        XCTAssertThrowsError(try predictor.predict(Prompt(points: [PromptPoint(x: .nan, y: 1, label: .foreground)]))) { error in
            XCTAssertEqual((error as? EngineError)?.status, .argument)
        }
    }

    // MARK: output options

    func testBestMaskOnlyAtAnotherSizeUpsamplesJustTheBest() throws {
        let predictor = try Predictor(model: try model())
        try predictor.setImage(try Self.image("wide"))
        let prompt = Prompt(points: [PromptPoint(x: 30, y: 20, label: .foreground)])
        let all = try predictor.predict(prompt)
        let best = try predictor.predict(prompt, options: MaskOutputOptions(size: (width: 64, height: 48), bestMaskOnly: true))
        XCTAssertEqual(best.count, 3)
        XCTAssertEqual(best.scores, all.scores)
        for index in 0..<3 where index != best.best { XCTAssertNil(best.mask(at: index)) }
        // 64 x 48 is the original size, so the best mask is the same as in the full answer.
        XCTAssertEqual(best.bestMask, all.bestMask)

        let small = try predictor.predict(prompt, options: MaskOutputOptions(size: (width: 32, height: 24), bestMaskOnly: true))
        XCTAssertEqual(small.maskWidth, 32)
        XCTAssertEqual(small.maskHeight, 24)
        let mask = try XCTUnwrap(small.bestMask)
        // Half the resolution: about a quarter of the area.
        let fullArea = Double(try XCTUnwrap(all.bestMask).area)
        XCTAssertEqual(Double(mask.area), fullArea / 4, accuracy: fullArea * 0.05 + 4)
    }
}
