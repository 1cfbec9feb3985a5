// Where encoded images are kept, and how the cache stays within its budget.
import XCTest
import Foundation
@testable import Segmentation

final class EmbeddingCacheTests: XCTestCase {
    func testFollowsXDG() {
        XCTAssertEqual(EmbeddingCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "/var/cache/me", "HOME": "/home/me"]),
                       "/var/cache/me/samterm/embeddings")
        XCTAssertEqual(EmbeddingCache.defaultDirectory(environment: ["HOME": "/home/me"]), "/home/me/.cache/samterm/embeddings")
        XCTAssertEqual(EmbeddingCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/home/me"]),
                       "/home/me/.cache/samterm/embeddings", "XDG says relative paths are to be ignored")
    }

    func testBudgetIsTwoGibibytesUnlessTheEnvironmentSaysOtherwise() {
        XCTAssertEqual(EmbeddingCache.defaultByteBudget(environment: [:]), 2 << 30)
        XCTAssertEqual(EmbeddingCache.defaultByteBudget(environment: ["SAMTERM_CACHE_MAX_GB": "50"]), 50 << 30)
        XCTAssertEqual(EmbeddingCache.defaultByteBudget(environment: ["SAMTERM_CACHE_MAX_GB": "0.5"]), 1 << 29)
        for ignored in ["", "lots", "0", "-3", "1e300", "nan"] {
            XCTAssertEqual(EmbeddingCache.defaultByteBudget(environment: ["SAMTERM_CACHE_MAX_GB": ignored]), 2 << 30, ignored)
        }
    }

    func testModelKeyChangesWithTheCheckpointFile() throws {
        let folder = NSTemporaryDirectory() + "samterm-cache-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = folder + "/model.pt"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: checkpoint))
        let first = EmbeddingCache.modelKey(modelName: "sam2.1_hiera_b+", checkpointPath: checkpoint)
        XCTAssertTrue(first.hasPrefix("sam2.1_hiera_b_-"), first)
        XCTAssertEqual(first, EmbeddingCache.modelKey(modelName: "sam2.1_hiera_b+", checkpointPath: checkpoint))
        try Data([1, 2, 3, 4]).write(to: URL(fileURLWithPath: checkpoint))
        XCTAssertNotEqual(first, EmbeddingCache.modelKey(modelName: "sam2.1_hiera_b+", checkpointPath: checkpoint),
                          "other weights under the same name")
    }

    func testPruneDropsTheLeastRecentlyUsedFirst() throws {
        let folder = NSTemporaryDirectory() + "samterm-cache-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = EmbeddingCache(directory: folder, byteBudget: 250)
        XCTAssertTrue(cache.prepareFolder(modelKey: "m"))
        for (index, name) in ["old", "middle", "new"].enumerated() {
            let path = cache.path(modelKey: "m", imageKey: name)
            try Data(repeating: 0, count: 100).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: Double(1_000_000 + index * 100))],
                                                  ofItemAtPath: path)
        }
        XCTAssertEqual(cache.totalBytes(), 300)
        cache.touch(modelKey: "m", imageKey: "old")
        cache.prune()
        XCTAssertEqual(cache.totalBytes(), 200)
        XCTAssertTrue(cache.contains(modelKey: "m", imageKey: "old"), "just used")
        XCTAssertFalse(cache.contains(modelKey: "m", imageKey: "middle"))
        XCTAssertTrue(cache.contains(modelKey: "m", imageKey: "new"))
    }
}
