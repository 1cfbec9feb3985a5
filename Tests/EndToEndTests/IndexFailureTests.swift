// What `samterm index` and `samterm similar` say when they cannot do what was asked: a file
// that is not an index (left as it was), usage mistakes (exit 2, naming the argument), and an
// index whose objects another model embedded (refused, not mixed).

import CSQLite
import Foundation
import Segmentation
import XCTest

final class IndexFailureTests: XCTestCase {
    private var fixture: IndexLibrary!
    private var library: String { fixture.folder }

    override func setUpWithError() throws {
        fixture = try IndexLibrary()
        try fixture.writeThreeImages()
        addTeardownBlock { [fixture] in fixture?.remove() }
    }

    private func samterm(_ arguments: [String]) throws -> SamtermRun { try fixture.samterm(arguments) }

    /// The run's `Error:` lines.
    private func errorLines(_ run: SamtermRun) -> [Substring] {
        run.errors.split(separator: "\n").filter { $0.hasPrefix("Error") }
    }

    func testACorruptFileOrAnotherAppsDatabaseIsRefusedByNameAndLeftAsItWas() throws {
        let corrupt = fixture.root + "/corrupt.sqlite"
        var random = SplitMix64(seed: 18)
        try Data((0..<8192).map { _ in UInt8.random(in: 0...255, using: &random) }).write(to: URL(fileURLWithPath: corrupt))
        let foreign = fixture.root + "/photos.sqlite"
        var handle: OpaquePointer?
        XCTAssertEqual(sqlite3_open(foreign, &handle), SQLITE_OK)
        XCTAssertEqual(sqlite3_exec(handle, "CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT); INSERT INTO photos (path) VALUES ('x.jpg')",
                                    nil, nil, nil), SQLITE_OK)
        sqlite3_close(handle)

        for file in [corrupt, foreign] {
            let before = try Data(contentsOf: URL(fileURLWithPath: file))
            let runs = [try samterm(["index", library, "--db", file]), try samterm(["similar", library + "/a.png#1", "--db", file])]
            for run in runs {
                XCTAssertEqual(run.status, 1, run.errors)
                XCTAssertEqual(run.errors.split(separator: "\n").count, 1, run.errors)
                XCTAssertTrue(run.errors.hasPrefix("Error: \(file): not a samterm object index"), run.errors)
                XCTAssertEqual(run.output, "")
            }
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), before, "\(file) was changed")
            XCTAssertFalse(FileManager.default.fileExists(atPath: file + "-wal"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.database), "an index was made beside the library")
    }

    func testUsageMistakesExitTwoNamingTheArgument() throws {
        let other = fixture.root + "/other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        try fixture.writeImage(other + "/d.png", seed: 7)
        try fixture.writeSession(other + "/d.png", [(className: "apple", box: PixelBox(x: 1, y: 1, width: 5, height: 5))])
        let twoFolders = try samterm(["index", library, other])
        XCTAssertEqual(twoFolders.status, 2, twoFolders.errors)
        XCTAssertEqual(errorLines(twoFolders).count, 1, twoFolders.errors)
        XCTAssertTrue(twoFolders.errors.contains("--db"), twoFolders.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.database))

        let notANumber = try samterm(["similar", library + "/a.png#x"])
        XCTAssertEqual(notANumber.status, 2, notANumber.errors)
        XCTAssertEqual(errorLines(notANumber).count, 1, notANumber.errors)
        XCTAssertTrue(notANumber.errors.contains("a.png#x"), notANumber.errors)

        // An index that does not hold the image: the query's object comes from its session.
        _ = try ObjectIndex(path: fixture.database, create: true)
        let noSuchObject = try samterm(["similar", library + "/a.png#9"])
        XCTAssertEqual(noSuchObject.status, 2, noSuchObject.errors)
        XCTAssertEqual(errorLines(noSuchObject).count, 1, noSuchObject.errors)
        XCTAssertTrue(noSuchObject.errors.contains("a.png#9"), noSuchObject.errors)
        XCTAssertTrue(noSuchObject.errors.contains("it has 1, 2"), noSuchObject.errors)
        XCTAssertFalse(noSuchObject.errors.contains("Running on"), "the model was loaded for nothing: \(noSuchObject.errors)")
    }

    func testAnotherModelsIndexIsRefusedNotMixedAndIndexingWithThisModelReplacesIt() throws {
        // b.png as another model indexed it, from the session it has now.
        do {
            let index = try ObjectIndex(path: fixture.database, create: true)
            let image = library + "/b.png"
            var random = SplitMix64(seed: 5)
            var embedding = (0..<256).map { _ in Float.random(in: -1..<1, using: &random) }
            let length = embedding.reduce(0) { $0 + $1 * $1 }.squareRoot()
            embedding = embedding.map { $0 / length }
            try index.replace(ObjectIndex.Image(path: image, sha256: try SHA256.hexDigest(ofFileAt: image),
                                                width: IndexLibrary.width, height: IndexLibrary.height, model: "sam_vit_b",
                                                sessionSHA256: try SHA256.hexDigest(ofFileAt: image + SessionStore.fileSuffix)),
                              objects: [ObjectIndex.Object(number: 1, className: "apple", name: nil, box: PixelBox(x: 4, y: 4, width: 12, height: 10),
                                                           area: 120, score: nil, counts: "0", embedding: embedding)])
        }
        let refused = try samterm(["similar", library + "/a.png#1"])
        XCTAssertEqual(refused.status, 1, refused.errors)
        XCTAssertEqual(errorLines(refused).count, 1, refused.errors)
        let line = String(errorLines(refused).first ?? "")
        XCTAssertTrue(line.contains("sam_vit_b") && line.contains("sam2.1_test_tiny"), line)
        XCTAssertEqual(refused.output, "")

        // As the message says: indexing the library with this model's checkpoint makes it comparable.
        let indexed = try samterm(["index", library])
        XCTAssertEqual(indexed.status, 0, indexed.errors)
        XCTAssertEqual(indexed.output, "\(fixture.database): 3 images indexed (5 objects), 0 unchanged, 0 removed; 5 objects in all\n")
        let ranked = try samterm(["similar", library + "/a.png#1"])
        XCTAssertEqual(ranked.status, 0, ranked.errors)
        XCTAssertEqual(IndexLibrary.references(ranked.output).first, "a.png#1")
        XCTAssertEqual(Set(IndexLibrary.references(ranked.output)), ["a.png#1", "a.png#2", "b.png#1", "b.png#2", "c.png#1"])
        XCTAssertFalse(ranked.errors.contains("another model"), ranked.errors)
    }
}
