// The object index on its own (no model): what goes in comes out, ranked by cosine similarity;
// images replaced and removed whole; other models' rows kept apart; files that are not an index
// refused with one line naming them.

import CSQLite
import Foundation
@testable import Segmentation
import XCTest

final class ObjectIndexTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "samterm-index-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    }

    private func unit(_ values: [Float]) -> [Float] {
        let length = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return values.map { $0 / length }
    }

    /// A unit vector whose cosine with `basis(0)` is `cosine`.
    private func vector(cosine: Float, size: Int = 8) -> [Float] {
        var values = [Float](repeating: 0, count: size)
        values[0] = cosine
        values[1] = (1 - cosine * cosine).squareRoot()
        return values
    }

    private func object(_ number: Int, _ className: String?, _ embedding: [Float]) -> ObjectIndex.Object {
        ObjectIndex.Object(number: number, className: className, name: nil, box: PixelBox(x: 1, y: 2, width: 3, height: 4),
                           area: 10, score: 0.9, counts: "52", embedding: embedding)
    }

    private func image(_ name: String, model: String = "sam2.1_hiera_t", session: String = "s1") -> ObjectIndex.Image {
        ObjectIndex.Image(path: folder + "/" + name, sha256: name + "-sha", width: 8, height: 8, model: model, sessionSHA256: session)
    }

    func testObjectsComeBackRankedByCosineSimilarityAndFilteredByClass() throws {
        let index = try ObjectIndex(path: folder + "/" + ObjectIndex.fileName, create: true)
        try index.replace(image("a.png"), objects: [object(1, "apple", vector(cosine: 0.5)), object(2, "pear", vector(cosine: 0.9))])
        try index.replace(image("b.png"), objects: [object(1, "apple", vector(cosine: 0.1)), object(3, "apple", vector(cosine: 1))])
        XCTAssertEqual(try index.objectCount, 4)

        let ranking = try index.similar(to: vector(cosine: 1), model: "sam2.1_hiera_t", top: 10)
        XCTAssertEqual(ranking.compared, 4)
        XCTAssertEqual(ranking.matches.map { "\(($0.imagePath as NSString).lastPathComponent)#\($0.number)" },
                       ["b.png#3", "a.png#2", "a.png#1", "b.png#1"])
        for (match, expected) in zip(ranking.matches, [Float(1), 0.9, 0.5, 0.1]) {
            XCTAssertEqual(match.similarity, expected, accuracy: 1e-6)
        }
        XCTAssertEqual(ranking.matches[1].className, "pear")
        XCTAssertEqual(ranking.matches[1].box, PixelBox(x: 1, y: 2, width: 3, height: 4))

        let apples = try index.similar(to: vector(cosine: 1), model: "sam2.1_hiera_t", className: "apple", top: 2)
        XCTAssertEqual(apples.matches.map(\.number), [3, 1])
        XCTAssertEqual(apples.matches.map(\.className), ["apple", "apple"])
    }

    func testAnObjectsOwnEmbeddingFindsItselfFirstWithSimilarityOne() throws {
        let index = try ObjectIndex(path: folder + "/i.sqlite", create: true)
        var generator = SplitMix64(seed: 18)
        let embeddings = (0..<50).map { _ in unit((0..<256).map { _ in Float.random(in: -0.5..<0.5, using: &generator) }) }
        try index.replace(image("a.png"), objects: embeddings.enumerated().map { object($0.offset + 1, nil, $0.element) })
        for number in [1, 17, 50] {
            let stored = try XCTUnwrap(try index.object(imagePath: folder + "/a.png", number: number))
            XCTAssertEqual(stored.embedding, embeddings[number - 1], "stored bit for bit")
            let first = try XCTUnwrap(try index.similar(to: stored.embedding, model: stored.model, top: 3).matches.first)
            XCTAssertEqual(first.number, number)
            XCTAssertEqual(first.similarity, 1, accuracy: 1e-6)
        }
    }

    func testReplacingAnImageReplacesAllItsObjectsAndRemovingTakesThemOut() throws {
        let path = folder + "/i.sqlite"
        do {
            let index = try ObjectIndex(path: path, create: true)
            try index.replace(image("a.png"), objects: [object(1, "apple", vector(cosine: 1)), object(2, "apple", vector(cosine: 0))])
            try index.replace(image("b.png"), objects: [object(1, "pear", vector(cosine: 1))])
            try index.replace(image("a.png", session: "s2"), objects: [object(5, "plum", vector(cosine: 1))])
        }
        let index = try ObjectIndex(path: path, create: false)
        XCTAssertEqual(try index.objectCount, 2)
        XCTAssertEqual(try index.image(at: folder + "/a.png")?.sessionSHA256, "s2")
        XCTAssertNil(try index.object(imagePath: folder + "/a.png", number: 1))
        XCTAssertEqual(try index.object(imagePath: folder + "/a.png", number: 5)?.className, "plum")
        try index.remove(imagePath: folder + "/a.png")
        XCTAssertEqual(try index.objectCount, 1)
        XCTAssertNil(try index.image(at: folder + "/a.png"))
        XCTAssertEqual(try index.imagePaths().map { ($0 as NSString).lastPathComponent }, ["b.png"])
        XCTAssertEqual(try index.integrityCheck(), "ok")
        // Images under the index's folder are stored relative to it, so the folder can move.
        XCTAssertEqual(try rows(path, "SELECT path FROM images"), ["b.png"])
    }

    func testAnotherModelsObjectsAreCountedNotRanked() throws {
        let index = try ObjectIndex(path: folder + "/i.sqlite", create: true)
        try index.replace(image("a.png"), objects: [object(1, nil, vector(cosine: 1))])
        try index.replace(image("b.png", model: "sam_vit_b"), objects: [object(1, nil, vector(cosine: 1)), object(2, nil, vector(cosine: 1))])
        let ranking = try index.similar(to: vector(cosine: 1), model: "sam2.1_hiera_t", top: 10)
        XCTAssertEqual(ranking.matches.map { ($0.imagePath as NSString).lastPathComponent }, ["a.png"])
        XCTAssertEqual(ranking.otherModels, ["sam_vit_b": 2])
    }

    func testFilesThatAreNotAnIndexAreRefusedByName() throws {
        let garbage = folder + "/garbage.sqlite"
        try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try ObjectIndex(path: garbage, create: true)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(garbage): not a samterm object index"), "\(error)")
        }
        let foreign = folder + "/foreign.sqlite"
        var handle: OpaquePointer?
        XCTAssertEqual(sqlite3_open(foreign, &handle), SQLITE_OK)
        XCTAssertEqual(sqlite3_exec(handle, "CREATE TABLE photos (id INTEGER)", nil, nil, nil), SQLITE_OK)
        sqlite3_close(handle)
        XCTAssertThrowsError(try ObjectIndex(path: foreign, create: true)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(foreign): not a samterm object index"), "\(error)")
        }
        XCTAssertThrowsError(try ObjectIndex(path: folder + "/none.sqlite", create: false)) { error in
            XCTAssertTrue("\(error)".contains("no such index"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/none.sqlite"))

        let newer = folder + "/newer.sqlite"
        _ = try ObjectIndex(path: newer, create: true)
        try rows(newer, "UPDATE samterm_index SET value = '9' WHERE key = 'version'")
        XCTAssertThrowsError(try ObjectIndex(path: newer, create: false)) { error in
            XCTAssertTrue("\(error)".contains("schema version 9 is newer"), "\(error)")
        }
    }

    func testTopScoresKeepsTheBestAndBreaksTiesByIndexOrder() {
        var top = TopScores(capacity: 3)
        for (id, score) in [Float(0.2), 0.9, 0.5, 0.9, 0.1, 0.7].enumerated() { top.offer(score: score, id: Int64(id)) }
        XCTAssertEqual(top.ranked().map(\.id), [1, 3, 5])
        var none = TopScores(capacity: 0)
        none.offer(score: 1, id: 1)
        XCTAssertTrue(none.ranked().isEmpty)
    }

    @discardableResult
    private func rows(_ path: String, _ sql: String) throws -> [String] {
        let database = try SQLiteDatabase(path: path, create: false)
        let statement = try database.prepare(sql)
        var values: [String] = []
        while try statement.step() { values.append(statement.text(0) ?? "") }
        return values
    }
}
