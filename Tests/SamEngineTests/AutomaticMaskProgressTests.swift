// The automatic mask generator's progress callback: counts that grow to the run's total, a
// cancel that stops the run with its own status, and results the callback does not change.

import Foundation
import Segmentation
import XCTest

final class AutomaticMaskProgressTests: XCTestCase {
    static let fixtures = AutomaticMaskParityTests.fixtures

    /// The parity fixture's image and the tiny model; one crop layer, so the run has 5 crops.
    private func setUp() throws -> (Predictor, RGBImage, AutomaticMaskOptions) {
        let manifest = try JSONDecoder().decode(
            AutomaticMaskParityTests.Manifest.self,
            from: Data(contentsOf: Self.fixtures.appendingPathComponent("auto/cases.json")))
        let array = try NumpyArray.read(path: Self.fixtures.appendingPathComponent("auto/\(manifest.image)").path)
        let image = RGBImage(width: manifest.width, height: manifest.height, pixels: try XCTUnwrap(array.bytes))
        let model = try Model(path: Self.fixtures.appendingPathComponent("sam2/tiny_sam2.1.pt").path, device: .cpu)
        var options = AutomaticMaskOptions.defaults(for: model)
        options.pointsPerSide = 8
        options.pointsPerBatch = 24
        options.cropNLayers = 1
        options.predIoUThresh = 0
        options.stabilityScoreThresh = 0
        return (try Predictor(model: model), image, options)
    }

    func testProgressCountsUpToTheTotalAndLeavesTheMasksAsTheyWere() throws {
        let (predictor, image, options) = try setUp()
        let plain = try predictor.generateMasks(image: image, options: options)
        var reports: [AutomaticMaskProgress] = []
        let reported = try predictor.generateMasks(image: image, options: options) { reports.append($0); return true }

        XCTAssertEqual(reported, plain, "the callback must not change the masks")
        XCTAssertFalse(plain.isEmpty)
        // 64 points on the whole image, 64 on each of the 4 crops of layer 1.
        XCTAssertEqual(reports.first, AutomaticMaskProgress(pointsDone: 0, pointsTotal: 320, cropsDone: 0, cropsTotal: 5))
        XCTAssertEqual(reports.last, AutomaticMaskProgress(pointsDone: 320, pointsTotal: 320, cropsDone: 5, cropsTotal: 5))
        XCTAssertTrue(reports.allSatisfy { $0.pointsTotal == 320 && $0.cropsTotal == 5 })
        for (before, after) in zip(reports, reports.dropFirst()) {
            XCTAssertLessThanOrEqual(before.pointsDone, after.pointsDone)
            XCTAssertLessThanOrEqual(before.cropsDone, after.cropsDone)
        }
        // One report per batch (3 batches of at most 24 per crop), one per crop, one at the start.
        XCTAssertEqual(reports.count, 1 + 5 * 3 + 5)
    }

    func testACallbackThatSaysStopCancelsTheRun() throws {
        let (predictor, image, options) = try setUp()
        var calls = 0
        XCTAssertThrowsError(try predictor.generateMasks(image: image, options: options) { progress in
            calls += 1
            return progress.pointsDone == 0  // stop after the first batch
        }) { error in
            XCTAssertEqual((error as? EngineError)?.status, .cancelled, "\(error)")
            XCTAssertTrue("\(error)".contains("cancelled after 24 of 320 points"), "\(error)")
        }
        XCTAssertEqual(calls, 2, "the run stops at the batch boundary where it was told to")
        // The predictor still works afterwards.
        XCTAssertFalse(try predictor.generateMasks(image: image, options: options).isEmpty)
    }
}
