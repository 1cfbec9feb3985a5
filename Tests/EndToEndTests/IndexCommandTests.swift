// `samterm index` and `samterm similar` as a user runs them: the real binary and the tiny fixture
// model on an IndexLibrary (small images with sessions); the index file as ObjectIndex reopens it.

import Foundation
import Segmentation
import XCTest

final class IndexCommandTests: XCTestCase {
    private var fixture: IndexLibrary!
    private var library: String { fixture.folder }
    private var database: String { fixture.database }

    override func setUpWithError() throws {
        fixture = try IndexLibrary()
        addTeardownBlock { [fixture] in fixture?.remove() }
    }

    private func samterm(_ arguments: [String]) throws -> SamtermRun { try fixture.samterm(arguments) }
    private func references(_ table: String) -> [String] { IndexLibrary.references(table) }
    private func similarities(_ table: String) -> [Double] { IndexLibrary.similarities(table) }

    func testAnIndexedFolderRanksAnObjectFirstForItselfFiltersByClassAndPrintsJSON() throws {
        try fixture.writeThreeImages()
        let indexed = try samterm(["index", library])
        XCTAssertEqual(indexed.status, 0, indexed.errors)
        XCTAssertEqual(indexed.output, "\(database): 3 images indexed (5 objects), 0 unchanged, 0 removed; 5 objects in all\n")
        XCTAssertTrue(indexed.errors.contains("[3/3] \(library)/c.png.samterm.json: 1 object\n"), indexed.errors)
        XCTAssertTrue(FileManager.default.fileExists(atPath: database))

        let ranked = try samterm(["similar", library + "/a.png#2"])
        XCTAssertEqual(ranked.status, 0, ranked.errors)
        let rows = ranked.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.first, "  1  1.0000  \(library)/a.png#2  pear", ranked.output)
        XCTAssertEqual(Set(references(ranked.output)), ["a.png#1", "a.png#2", "b.png#1", "b.png#2", "c.png#1"])
        let scores = similarities(ranked.output)
        XCTAssertEqual(scores.count, 5, ranked.output)
        XCTAssertEqual(scores, scores.sorted(by: >), "best first")
        XCTAssertLessThan(scores[1], 1, "another object is not the same: \(ranked.output)")

        let pears = try samterm(["similar", library + "/a.png#2", "--class", "pear"])
        XCTAssertEqual(pears.status, 0, pears.errors)
        XCTAssertEqual(references(pears.output), ["a.png#2", "c.png#1"])
        XCTAssertTrue(pears.output.split(separator: "\n").allSatisfy { $0.hasSuffix("  pear") }, pears.output)

        let json = try samterm(["similar", library + "/a.png#2", "--json"])
        XCTAssertEqual(json.status, 0, json.errors)
        let matches = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]], json.output)
        XCTAssertEqual(matches.count, 5)
        for match in matches {
            XCTAssertEqual(Set(match.keys), ["image", "object", "class", "name", "similarity", "bbox", "area"])
        }
        XCTAssertEqual(matches[0]["image"] as? String, library + "/a.png")
        XCTAssertEqual(matches[0]["object"] as? Int, 2)
        XCTAssertEqual(matches[0]["class"] as? String, "pear")
        XCTAssertTrue(matches[0]["name"] is NSNull)
        XCTAssertEqual(try XCTUnwrap(matches[0]["similarity"] as? Double), 1, accuracy: 1e-5)
        XCTAssertEqual(matches[0]["bbox"] as? [Int], [20, 10, 16, 14])
        XCTAssertEqual(matches[0]["area"] as? Int, 16 * 14)
        // The same ranking as the table.
        XCTAssertEqual(matches.map { "\((($0["image"] as? String ?? "") as NSString).lastPathComponent)#\($0["object"] as? Int ?? 0)" },
                       references(ranked.output))
        for (match, score) in zip(matches, scores) {
            XCTAssertEqual(try XCTUnwrap(match["similarity"] as? Double), score, accuracy: 0.00005)
        }

        let top = try samterm(["similar", library + "/a.png#2", "--top", "1"])
        XCTAssertEqual(top.status, 0, top.errors)
        XCTAssertEqual(top.output, rows[0] + "\n")
    }

    func testReindexingSkipsUnchangedSessionsReplacesChangedOnesAndTakesOutRemovedOnes() throws {
        try fixture.writeThreeImages()
        XCTAssertEqual(try samterm(["index", library]).status, 0)
        let again = try samterm(["index", library])
        XCTAssertEqual(again.status, 0, again.errors)
        XCTAssertEqual(again.output, "\(database): 0 images indexed (0 objects), 3 unchanged, 0 removed; 5 objects in all\n")
        XCTAssertFalse(again.errors.contains("Running on"), "nothing to index, yet the model was loaded: \(again.errors)")

        let store = SessionStore(imagePath: library + "/c.png")
        var session = try XCTUnwrap(try store.load())
        session.objects[0].category = "quince"
        try store.save(session)
        let changed = try samterm(["index", library])
        XCTAssertEqual(changed.status, 0, changed.errors)
        XCTAssertEqual(changed.output, "\(database): 1 image indexed (1 object), 2 unchanged, 0 removed; 5 objects in all\n")
        let quinces = try samterm(["similar", library + "/a.png#1", "--class", "quince"])
        XCTAssertEqual(quinces.status, 0, quinces.errors)
        XCTAssertEqual(references(quinces.output), ["c.png#1"])
        XCTAssertEqual(references(try samterm(["similar", library + "/a.png#2", "--class", "pear"]).output), ["a.png#2"])

        try FileManager.default.removeItem(atPath: library + "/b.png.samterm.json")
        let sessionGone = try samterm(["index", library])
        XCTAssertEqual(sessionGone.status, 0, sessionGone.errors)
        XCTAssertEqual(sessionGone.output, "\(database): 0 images indexed (0 objects), 2 unchanged, 1 removed; 3 objects in all\n")
        XCTAssertEqual(references(try samterm(["similar", library + "/a.png#1"]).output).sorted(), ["a.png#1", "a.png#2", "c.png#1"])

        try FileManager.default.removeItem(atPath: library + "/c.png")
        let imageGone = try samterm(["index", library])
        XCTAssertEqual(imageGone.status, 0, imageGone.errors)
        XCTAssertEqual(imageGone.output, "\(database): 0 images indexed (0 objects), 1 unchanged, 1 removed; 2 objects in all\n")
        XCTAssertEqual(try ObjectIndex(path: database, create: false).imagePaths(), [library + "/a.png"])
    }

    func testAKilledRunLeavesAConsistentIndexThatARerunCompletes() throws {
        let count = 120
        var objects = 0
        for number in 0..<count {
            let image = library + String(format: "/image-%03d.png", number)
            try fixture.writeImage(image, seed: number)
            let boxes = number % 2 == 0
                ? [(className: "apple", box: PixelBox(x: 2 + number % 10, y: 3, width: 12, height: 9))]
                : [(className: "apple", box: PixelBox(x: 1, y: 1, width: 8, height: 8)),
                   (className: "pear", box: PixelBox(x: 20, y: 4 + number % 8, width: 14, height: 16))]
            try fixture.writeSession(image, boxes)
            objects += boxes.count
        }

        let process = Process()
        process.executableURL = EditorEndToEndTests.binary
        process.arguments = ["index", library, "--checkpoint", IndexLibrary.checkpoint, "--device", "cpu"]
        var variables = ProcessInfo.processInfo.environment.merging(fixture.environment) { _, ours in ours }
        variables.removeValue(forKey: "SAMTERM_CHECKPOINT")
        process.environment = variables
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // A run that never gets there is killed too, and fails below.
        let watchdog = DispatchWorkItem { [process] in process.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 300, execute: watchdog)
        var progress = ""
        while !progress.contains("[10/") {
            let bytes = errors.fileHandleForReading.availableData
            if bytes.isEmpty { break }
            progress += String(decoding: bytes, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        watchdog.cancel()
        XCTAssertTrue(progress.contains("[10/\(count)] "), progress)
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the run ended before it was killed: give it more images")

        let (imagesBefore, objectsBefore): (Int, Int)
        do {
            let index = try ObjectIndex(path: database, create: false)
            XCTAssertEqual(try index.integrityCheck(), "ok")
            imagesBefore = try index.imagePaths().count
            objectsBefore = try index.objectCount
        }
        // Image 10 was committed before its line was written.
        XCTAssertGreaterThanOrEqual(imagesBefore, 10)
        XCTAssertLessThan(imagesBefore, count)
        XCTAssertGreaterThanOrEqual(objectsBefore, imagesBefore)
        XCTAssertLessThan(objectsBefore, objects)

        let rerun = try samterm(["index", library])
        XCTAssertEqual(rerun.status, 0, rerun.errors)
        XCTAssertEqual(rerun.output, "\(database): \(count - imagesBefore) images indexed (\(objects - objectsBefore) objects), "
                       + "\(imagesBefore) unchanged, 0 removed; \(objects) objects in all\n")
        let index = try ObjectIndex(path: database, create: false)
        XCTAssertEqual(try index.integrityCheck(), "ok")
        XCTAssertEqual(try index.objectCount, objects)
        XCTAssertEqual(try index.imagePaths().count, count)
    }

    func testAPointOrABoxOnAnImageIsSegmentedAndRanked() throws {
        try fixture.writeThreeImages()
        XCTAssertEqual(try samterm(["index", library]).status, 0)
        let point = try samterm(["similar", library + "/a.png", "--point", "27,17"])
        XCTAssertEqual(point.status, 0, point.errors)
        XCTAssertEqual(Set(references(point.output)), ["a.png#1", "a.png#2", "b.png#1", "b.png#2", "c.png#1"])
        let scores = similarities(point.output)
        XCTAssertEqual(scores, scores.sorted(by: >), point.output)
        XCTAssertTrue(scores.allSatisfy { $0 <= 1 && $0 >= -1 }, point.output)

        let box = try samterm(["similar", library + "/b.png", "--box", "30,2,44,22", "--class", "plum"])
        XCTAssertEqual(box.status, 0, box.errors)
        XCTAssertEqual(references(box.output), ["b.png#2"])

        let offTheImage = try samterm(["similar", library + "/a.png", "--point", "48,40"])
        XCTAssertEqual(offTheImage.status, 2, offTheImage.errors)
        XCTAssertTrue(offTheImage.errors.contains("--point 48.0,40.0 lies outside the 48x32 image \(library)/a.png"), offTheImage.errors)
        XCTAssertFalse(offTheImage.errors.contains("Running on"), offTheImage.errors)
        let boxOffTheImage = try samterm(["similar", library + "/a.png", "--box", "30,2,49,22"])
        XCTAssertEqual(boxOffTheImage.status, 2, boxOffTheImage.errors)
        XCTAssertTrue(boxOffTheImage.errors.contains("--box 30.0,2.0,49.0,22.0 reaches outside"), boxOffTheImage.errors)

        let both = try samterm(["similar", library + "/a.png", "--point", "27,17", "--box", "30,2,44,22"])
        XCTAssertEqual(both.status, 2)
        XCTAssertTrue(both.errors.contains("--point") && both.errors.contains("--box"), both.errors)
    }
}
