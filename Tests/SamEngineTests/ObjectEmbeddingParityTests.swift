// Predictor.objectEmbedding (the engine's sam_predictor_object_embedding) against the same steps
// computed with NumPy from the official predictors' image embeddings: the mask in the input
// frame, resized to the embedding's grid (antialiased bilinear), a weighted mean, unit length.
// Fixtures: Tests/Fixtures/object_embedding, made by tools/make_object_embedding_fixtures.py.

import Foundation
import Segmentation
import XCTest

final class ObjectEmbeddingParityTests: XCTestCase {
    private struct Case: Decodable {
        let name: String
        let model: String
        let image: String
    }

    private static let fixture = ParityFixture("object_embedding")

    private func predictor(_ model: String, image: String) throws -> Predictor {
        let models = ParityFixture(model)
        let file = model == "sam2" ? "tiny_sam2.1.pt" : "tiny_sam1.pth"
        let predictor = try Predictor(model: try Model(path: models.path(file), device: .cpu))
        try predictor.setImage(try models.image(image))
        return predictor
    }

    func testEmbeddingsMatchTheReferenceImageEmbeddingPooledWithNumPy() throws {
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: URL(fileURLWithPath: Self.fixture.path("cases.json"))))
        XCTAssertEqual(Set(cases.map(\.model)), ["sam1", "sam2"])
        for testCase in cases {
            let array = try NumpyArray.read(path: Self.fixture.path("mask_\(testCase.name).npy"))
            let mask = BinaryMask(width: array.shape[1], height: array.shape[0], bytes: try XCTUnwrap(array.bytes))
            let embedding = try predictor(testCase.model, image: testCase.image).objectEmbedding(of: mask)
            let expected = try XCTUnwrap(try NumpyArray.read(path: Self.fixture.path("embedding_\(testCase.name).npy")).floats)
            XCTAssertEqual(embedding.count, expected.count, testCase.name)
            let worst = zip(embedding, expected).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst, 1e-5, "\(testCase.name): largest difference \(worst)")
            let length = embedding.reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertEqual(length, 1, accuracy: 1e-5, testCase.name)
        }
    }

    func testDifferentMasksGiveDifferentEmbeddingsAndAnEmptyMaskIsRefused() throws {
        let predictor = try predictor("sam2", image: "wide")
        var left = BinaryMask(width: 64, height: 48), right = BinaryMask(width: 64, height: 48)
        for y in 10..<40 {
            for x in 2..<20 { left[x, y] = true }
            for x in 44..<62 { right[x, y] = true }
        }
        let a = try predictor.objectEmbedding(of: left), b = try predictor.objectEmbedding(of: right)
        let cosine = zip(a, b).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        XCTAssertLessThan(cosine, 0.9999, "two regions of the image are not the same object")
        XCTAssertEqual(try predictor.objectEmbedding(of: left), a, "the same mask gives the same vector")
        XCTAssertThrowsError(try predictor.objectEmbedding(of: BinaryMask(width: 64, height: 48))) { error in
            XCTAssertTrue("\(error)".contains("covers none"), "\(error)")
        }
    }
}
