// Parity of the automatic mask generator with the official SAM2AutomaticMaskGenerator on the
// tiny SAM 2.1 fixture model. Fixtures: Tests/Fixtures/auto, made by tools/make_auto_fixtures.py.

import Foundation
import Segmentation
import XCTest

final class AutomaticMaskParityTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    struct Manifest: Decodable {
        let image: String
        let width: Int
        let height: Int
        let cases: [Case]
    }

    struct Case: Decodable {
        let name: String
        let arguments: Arguments
        let masks: [Record]
    }

    /// The generator arguments a case sets; the rest keep the official defaults.
    struct Arguments: Decodable {
        let points_per_side: Int?
        let points_per_batch: Int?
        let pred_iou_thresh: Float?
        let stability_score_thresh: Float?
        let stability_score_offset: Float?
        let mask_threshold: Float?
        let box_nms_thresh: Float?
        let crop_n_layers: Int?
        let crop_nms_thresh: Float?
        let crop_overlap_ratio: Double?
        let crop_n_points_downscale_factor: Int?
        let min_mask_region_area: Int?
        let use_m2m: Bool?
        let multimask_output: Bool?
    }

    struct Record: Decodable {
        let counts: [UInt32]
        let area: Int
        let bbox: [Double]
        let predicted_iou: Float
        let stability_score: Float
        let point_coords: [Double]
        let crop_box: [Int]
    }

    static func options(_ arguments: Arguments, model: Model) -> AutomaticMaskOptions {
        var options = AutomaticMaskOptions.defaults(for: model)
        if let value = arguments.points_per_side { options.pointsPerSide = value }
        if let value = arguments.points_per_batch { options.pointsPerBatch = value }
        if let value = arguments.pred_iou_thresh { options.predIoUThresh = value }
        if let value = arguments.stability_score_thresh { options.stabilityScoreThresh = value }
        if let value = arguments.stability_score_offset { options.stabilityScoreOffset = value }
        if let value = arguments.mask_threshold { options.maskThreshold = value }
        if let value = arguments.box_nms_thresh { options.boxNMSThresh = value }
        if let value = arguments.crop_n_layers { options.cropNLayers = value }
        if let value = arguments.crop_nms_thresh { options.cropNMSThresh = value }
        if let value = arguments.crop_overlap_ratio { options.cropOverlapRatio = value }
        if let value = arguments.crop_n_points_downscale_factor { options.cropNPointsDownscaleFactor = value }
        if let value = arguments.min_mask_region_area { options.minMaskRegionArea = value }
        if let value = arguments.use_m2m { options.useM2M = value }
        if let value = arguments.multimask_output { options.multimaskOutput = value }
        return options
    }

    func testDefaultsAreTheOfficialGenerators() throws {
        let model = try Model(path: Self.fixtures.appendingPathComponent("sam2/tiny_sam2.1.pt").path, device: .cpu)
        let options = AutomaticMaskOptions.defaults(for: model)
        XCTAssertEqual(options.pointsPerSide, 32)
        XCTAssertEqual(options.pointsPerBatch, 64)
        XCTAssertEqual(options.predIoUThresh, 0.8)
        XCTAssertEqual(options.stabilityScoreThresh, 0.95)
        XCTAssertEqual(options.stabilityScoreOffset, 1.0)
        XCTAssertEqual(options.maskThreshold, 0.0)
        XCTAssertEqual(options.boxNMSThresh, 0.7)
        XCTAssertEqual(options.cropNLayers, 0)
        XCTAssertEqual(options.cropNMSThresh, 0.7)
        XCTAssertEqual(options.cropOverlapRatio, 512.0 / 1500.0)
        XCTAssertEqual(options.cropNPointsDownscaleFactor, 1)
        XCTAssertEqual(options.minMaskRegionArea, 0)
        XCTAssertFalse(options.useM2M)
        XCTAssertTrue(options.multimaskOutput)
    }

    func testInvalidOptionsAreArgumentErrors() throws {
        let model = try Model(path: Self.fixtures.appendingPathComponent("sam2/tiny_sam2.1.pt").path, device: .cpu)
        let predictor = try Predictor(model: model)
        let image = RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: 90, count: 8 * 8 * 3))
        var options = AutomaticMaskOptions.defaults(for: model)
        options.pointsPerSide = 0
        XCTAssertThrowsError(try predictor.generateMasks(image: image, options: options)) { error in
            XCTAssertEqual((error as? EngineError)?.status, .argument)
            XCTAssertTrue("\(error)".contains("points_per_side"), "\(error)")
        }
        // Unbounded work is refused before any is done.
        for (side, batch) in [(100_000, 64), (32, 100_000)] {
            options = AutomaticMaskOptions.defaults(for: model)
            options.pointsPerSide = side
            options.pointsPerBatch = batch
            XCTAssertThrowsError(try predictor.generateMasks(image: image, options: options)) { error in
                XCTAssertEqual((error as? EngineError)?.status, .argument)
                XCTAssertTrue("\(error)".contains(side > 1024 ? "points_per_side" : "points_per_batch"), "\(error)")
            }
        }
        options = AutomaticMaskOptions.defaults(for: model)
        options.pointsPerSide = 4
        options.cropNLayers = 2
        options.cropNPointsDownscaleFactor = 3
        XCTAssertThrowsError(try predictor.generateMasks(image: image, options: options)) { error in
            XCTAssertEqual((error as? EngineError)?.status, .argument)
        }
    }

    func testEveryCaseMatchesTheReference() throws {
        try assertEveryCaseMatches(kernels: .auto)
    }

    /// The generic path, which a CUDA device runs (it decodes every candidate's mask).
    func testEveryCaseMatchesTheReferenceOnTheGenericPath() throws {
        try assertEveryCaseMatches(kernels: .generic)
    }

    func assertEveryCaseMatches(kernels: ComputeKernels) throws {
        let manifest = try JSONDecoder().decode(
            Manifest.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("auto/cases.json")))
        XCTAssertGreaterThanOrEqual(manifest.cases.count, 4)
        XCTAssertGreaterThanOrEqual(manifest.cases.map(\.masks.count).reduce(0, +), 10, "the fixture should keep several masks")
        let array = try NumpyArray.read(path: Self.fixtures.appendingPathComponent("auto/\(manifest.image)").path)
        XCTAssertEqual(array.shape, [manifest.height, manifest.width, 3])
        let image = RGBImage(width: manifest.width, height: manifest.height, pixels: try XCTUnwrap(array.bytes))
        let model = try Model(path: Self.fixtures.appendingPathComponent("sam2/tiny_sam2.1.pt").path, device: .cpu,
                              kernels: kernels)
        let predictor = try Predictor(model: model)

        for testCase in manifest.cases {
            let name = "\(kernels) kernels: \(testCase.name)"
            XCTAssertGreaterThanOrEqual(testCase.masks.count, 1, "\(name): the fixture should keep a mask")
            let masks = try predictor.generateMasks(image: image, options: Self.options(testCase.arguments, model: model))
            XCTAssertEqual(masks.count, testCase.masks.count, "\(name): number of masks")

            // Match one to one: each reference mask with the most overlapping mask not yet taken.
            var taken = Set<Int>()
            for (index, expected) in testCase.masks.enumerated() {
                let expectedMask = try RLE(height: image.height, width: image.width, counts: expected.counts).decode()
                var best = -1
                var bestIoU = -1.0
                for (candidate, mask) in masks.enumerated() where !taken.contains(candidate) {
                    let iou = mask.segmentation.decode().iou(expectedMask)
                    if iou > bestIoU { (best, bestIoU) = (candidate, iou) }
                }
                guard best >= 0 else {
                    XCTFail("\(name): reference mask \(index) has no counterpart")
                    continue
                }
                taken.insert(best)
                let mask = masks[best]
                let label = "\(name): reference mask \(index)"
                XCTAssertGreaterThanOrEqual(bestIoU, 0.99, "\(label): IoU")
                XCTAssertEqual(mask.predictedIoU, expected.predicted_iou, accuracy: 1e-3, "\(label): predicted_iou")
                XCTAssertEqual(mask.stabilityScore, expected.stability_score, accuracy: 1e-3, "\(label): stability_score")
                XCTAssertEqual(mask.cropBox.cocoArray, expected.crop_box, "\(label): crop_box")
                XCTAssertEqual(mask.pointCoords[0], expected.point_coords[0], accuracy: 1e-3, "\(label): point x")
                XCTAssertEqual(mask.pointCoords[1], expected.point_coords[1], accuracy: 1e-3, "\(label): point y")
                XCTAssertEqual(mask.area, mask.segmentation.area, "\(label): area is the RLE's")
                if bestIoU == 1 {
                    XCTAssertEqual(mask.area, expected.area, "\(label): area")
                    XCTAssertEqual(mask.bbox, expected.bbox, "\(label): bbox")
                }
            }
        }
    }
}
