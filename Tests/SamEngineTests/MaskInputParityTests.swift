// Predictor.maskInput (the engine's sam_predictor_mask_input) against the official mask-to-
// logits conversion computed with torch: SAM 2's add_new_mask + _use_mask_as_output path, and
// the same steps in SAM 1's ResizeLongestSide frame. Fixtures: Tests/Fixtures/mask_input, made
// by tools/make_mask_input_fixtures.py; the models and images are the parity fixtures'.

import Foundation
import Segmentation
import XCTest

final class MaskInputParityTests: XCTestCase {
    private struct Case: Decodable {
        let name: String
        let model: String
        let image: String
        let sample: LogitsSample
    }

    private static let fixture = ParityFixture("mask_input")

    private func predictor(_ model: String, image: String) throws -> Predictor {
        let models = ParityFixture(model)
        let file = model == "sam2" ? "tiny_sam2.1.pt" : "tiny_sam1.pth"
        let predictor = try Predictor(model: try Model(path: models.path(file), device: .cpu))
        try predictor.setImage(try models.image(image))
        return predictor
    }

    func testMaskInputsMatchTheOfficialConversion() throws {
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: URL(fileURLWithPath: Self.fixture.path("cases.json"))))
        XCTAssertEqual(Set(cases.map(\.model)), ["sam1", "sam2"])
        for testCase in cases {
            let array = try NumpyArray.read(path: Self.fixture.path("mask_\(testCase.name).npy"))
            let mask = BinaryMask(width: array.shape[1], height: array.shape[0], bytes: try XCTUnwrap(array.bytes))
            XCTAssertNotEqual(mask.width, mask.height, "\(testCase.name): a non-square mask")
            let predictor = try predictor(testCase.model, image: testCase.image)
            let logits = try predictor.maskInput(from: mask)
            XCTAssertEqual(logits.count, 256 * 256)

            let expected = try NumpyArray.read(path: Self.fixture.path("logits_\(testCase.name).npy"))
            let values = try XCTUnwrap(expected.floats)
            let rows = Array(stride(from: testCase.sample.start, to: 256, by: testCase.sample.step))
            XCTAssertEqual(expected.shape, [rows.count, rows.count])
            var worst: Float = 0, between = 0
            for (i, row) in rows.enumerated() {
                for (j, column) in rows.enumerated() {
                    let reference = values[i * rows.count + j]
                    worst = max(worst, abs(logits[row * 256 + column] - reference))
                    if abs(reference) < 9.99 { between += 1 }
                }
            }
            XCTAssertLessThanOrEqual(worst, 1e-5, "\(testCase.name): largest difference \(worst)")
            XCTAssertGreaterThan(between, 10, "\(testCase.name): the sample holds edge values, not only +-10")
        }
    }
}
