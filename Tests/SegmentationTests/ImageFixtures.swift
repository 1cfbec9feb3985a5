import Foundation
import XCTest

/// Tests/Fixtures/images/, made by tools/make_image_fixtures.py, and its manifest.
enum ImageFixtures {
    struct Entry: Decodable {
        let file: String
        /// Decodable files: the upright size and the raw RGB file they must decode to.
        let width: Int?
        let height: Int?
        let expected: String?
        /// "exact" (PNG) or "jpeg" (decoders may differ by rounding).
        let comparison: String?
        /// Broken files: text the error message must contain.
        let error: String?
    }

    static let folder: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // SegmentationTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/images")

    static func path(_ name: String) -> String {
        folder.appendingPathComponent(name).path
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
    }

    static func manifest() throws -> [Entry] {
        let data = try Data(contentsOf: folder.appendingPathComponent("manifest.json"))
        return try JSONDecoder().decode([Entry].self, from: data)
    }

    /// JPEG decoders round differently (IDCT, upsampling, colour conversion), so JPEG pixels are
    /// compared with a tolerance: at most 3 levels anywhere, at most 1 on average.
    static func jpegDifference(_ actual: [UInt8], _ expected: [UInt8]) -> (max: Int, mean: Double) {
        precondition(actual.count == expected.count)
        var largest = 0
        var total = 0
        for (a, b) in zip(actual, expected) {
            let difference = abs(Int(a) - Int(b))
            largest = max(largest, difference)
            total += difference
        }
        return (largest, Double(total) / Double(max(actual.count, 1)))
    }

    /// A fresh folder under the system's temporary folder, removed by the test's teardown.
    static func temporaryFolder(for test: XCTestCase) throws -> URL {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("samterm-image-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }
}
