// What the SAM 2 and SAM 1 parity fixtures share: a folder made by tools/make_sam*_fixtures.py
// with the reference's answers (scores, a sample of the low-res logits, the masks) for prompt
// cases on small images, and the comparison of a predictor's answers with them.

import Foundation
import Segmentation
import XCTest

/// One prompt case of a fixture's cases.json.
struct ParityCase: Decodable {
    let name: String
    let image: String
    let points: [[Float]]?
    let labels: [Int32]?
    let box: [Float]?
    let multimask: Bool
    let mask_input: String?
    let mask_input_from: String?
    let candidates: Int
    let best: Int
}

/// Which low-res logits the fixtures keep: every `step`-th row and column from `start`.
struct LogitsSample: Decodable {
    let start: Int
    let step: Int
}

struct ParityFixture {
    let folder: URL

    /// Tests/Fixtures/`name`.
    init(_ name: String, file: StaticString = #filePath) {
        folder = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name)")
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func image(_ name: String) throws -> RGBImage {
        let array = try NumpyArray.read(path: path("image_\(name).npy"))
        XCTAssertEqual(array.shape.count, 3)
        return RGBImage(width: array.shape[1], height: array.shape[0], pixels: try XCTUnwrap(array.bytes))
    }

    /// The case's points, box and multimask setting; `maskInput` as the fixture encodes it.
    func prompt(for testCase: ParityCase, maskInput: [Float]?) throws -> Prompt {
        var prompt = Prompt(multimask: testCase.multimask)
        for (point, label) in zip(testCase.points ?? [], testCase.labels ?? []) {
            prompt.points.append(PromptPoint(x: point[0], y: point[1], label: try XCTUnwrap(PointLabel(rawValue: label))))
        }
        if let box = testCase.box { prompt.box = PromptBox(x0: box[0], y0: box[1], x1: box[2], y1: box[3]) }
        prompt.maskInput = maskInput
        return prompt
    }

    /// Every case through `predictor` (the images set as the cases need them): the reference's
    /// candidate count and best, scores within 1e-4, sampled low-res logits within 1e-3, masks
    /// at IoU 0.999 or more. `prompt` builds a case's prompt.
    func assertEveryCaseMatches(_ cases: [ParityCase], lowResSize side: Int, sample: LogitsSample, predictor: Predictor,
                                label: String, prompt: (ParityCase) throws -> Prompt) throws {
        XCTAssertGreaterThanOrEqual(cases.count, 8)
        let sampled = Array(stride(from: sample.start, to: side, by: sample.step))
        var currentImage = ""
        for testCase in cases {
            if testCase.image != currentImage {
                try predictor.setImage(try image(testCase.image))
                currentImage = testCase.image
            }
            let result = try predictor.predict(try prompt(testCase))
            let name = "\(label): \(testCase.name)"
            XCTAssertEqual(result.count, testCase.candidates, name)
            XCTAssertEqual(result.best, testCase.best, name)

            let scores = try XCTUnwrap(try NumpyArray.read(path: path("\(testCase.name)_scores.npy")).floats)
            for (index, score) in scores.enumerated() {
                XCTAssertEqual(result.scores[index], score, accuracy: 1e-4, "\(name): score \(index)")
            }

            let logits = try NumpyArray.read(path: path("\(testCase.name)_logits_sample.npy"))
            XCTAssertEqual(logits.shape, [testCase.candidates, sampled.count, sampled.count], name)
            let reference = try XCTUnwrap(logits.floats)
            for candidate in 0..<result.count {
                let ours = result.lowResLogits(at: candidate)
                var worst: Float = 0
                for (row, y) in sampled.enumerated() {
                    for (column, x) in sampled.enumerated() {
                        let expected = reference[(candidate * sampled.count + row) * sampled.count + column]
                        worst = max(worst, abs(ours[y * side + x] - expected))
                    }
                }
                XCTAssertLessThanOrEqual(worst, 1e-3, "\(name): low-res logits of candidate \(candidate)")
            }

            let masks = try NumpyArray.read(path: path("\(testCase.name)_masks.npy"))
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
}
