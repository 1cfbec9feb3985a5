import Foundation
import Segmentation
import XCTest

/// `BinaryMask.removingSmallRegions` (the engine's sam_remove_small_regions) against the official
/// `remove_small_regions` of sam2 and segment_anything: Tests/Fixtures/cleanup/cases.json, made
/// by tools/make_cleanup_fixtures.py, holds masks and what the reference made of them.
final class CleanupParityTests: XCTestCase {
    private struct Case: Decodable {
        struct Result: Decodable {
            let mode: String
            let area: Int
            let mask: [Int]
        }
        let name: String
        let width: Int
        let height: Int
        let mask: [Int]
        let results: [Result]
    }

    private func cases() throws -> [Case] {
        let url = ExportTestSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures/cleanup/cases.json")
        return try JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
    }

    /// Row-major run lengths, the first counting zeros, as a mask.
    private func mask(_ runs: [Int], width: Int, height: Int) throws -> BinaryMask {
        var bytes: [UInt8] = []
        for (index, run) in runs.enumerated() { bytes += repeatElement(UInt8(index % 2), count: run) }
        XCTAssertEqual(bytes.count, width * height)
        return BinaryMask(width: width, height: height, bytes: bytes)
    }

    func testEveryCaseGivesTheReferencePixels() throws {
        let cases = try cases()
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        var compared = 0
        for testCase in cases {
            let input = try mask(testCase.mask, width: testCase.width, height: testCase.height)
            for result in testCase.results {
                let expected = try mask(result.mask, width: testCase.width, height: testCase.height)
                let mode: SmallRegionMode = result.mode == "holes" ? .holes : .islands
                let actual = input.removingSmallRegions(below: result.area, mode: mode)
                XCTAssertEqual(actual, expected, "\(testCase.name) \(result.mode) \(result.area): "
                               + "\(actual.bytes.indices.filter { actual.bytes[$0] != expected.bytes[$0] }.count) pixels differ")
                compared += 1
            }
        }
        XCTAssertEqual(compared, cases.count * 10)
    }

    /// The fixtures exercise what they claim: clean-ups that change masks, and a tie between
    /// equal largest islands that raster order would break the other way.
    func testTheFixturesChangeMasksAndHoldTies() throws {
        let cases = try cases()
        let changed = try cases.flatMap { testCase in
            try testCase.results.filter { $0.mask != testCase.mask }.map { _ in testCase.name }
        }
        XCTAssertGreaterThan(changed.count, 50)
        let tie = try XCTUnwrap(cases.first { $0.name == "tie_block_order" })
        let kept = try mask(try XCTUnwrap(tie.results.first { $0.mode == "islands" && $0.area == 50 }).mask,
                            width: tie.width, height: tie.height)
        // The island at column 0 (rows 1-3) stays although the one on row 0 starts earlier in raster order.
        XCTAssertEqual(kept.area, 3)
        XCTAssertTrue(kept[0, 1] && kept[0, 3])
        XCTAssertFalse(kept[3, 0])
    }

    /// Holes first, then islands, as the official generator's min_mask_region_area.
    func testCleanedFillsHolesThenRemovesIslands() throws {
        let ring = try XCTUnwrap(try cases().first { $0.name == "ring_with_holes" })
        let input = try mask(ring.mask, width: ring.width, height: ring.height)
        let expected = input.removingSmallRegions(below: 100, mode: .holes).removingSmallRegions(below: 50, mode: .islands)
        XCTAssertEqual(input.cleaned(fillingHolesBelow: 100, removingIslandsBelow: 50), expected)
        XCTAssertNotEqual(expected, input)
    }
}
