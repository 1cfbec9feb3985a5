import Foundation
import Segmentation
import XCTest

/// Session format 2: mask edits (strokes, clean-ups), refine steps (`maskInputEdits`) and
/// `noOverlaps` are saved and read back; version 1 files still open; bad or hostile edits make
/// the file corrupt (kept aside, reported), never a crash.
final class SessionEditsTests: XCTestCase {
    private typealias Support = ExportTestSupport

    private let imageHash = String(repeating: "cd", count: 32)

    private let paint = MaskEdit.stroke(.init(path: [.init(x: 2.5, y: 1.5), .init(x: 6.25, y: 4)], radius: 1.5, erases: false))
    private let erase = MaskEdit.stroke(.init(path: [.init(x: 3, y: 3)], radius: 0.75, erases: true))

    private func session(edits: [MaskEdit], maskInputEdits: Int? = 1, noOverlaps: Bool = true) -> Session {
        let point = Session.Point(x: 2.5, y: 3.5, foreground: true)
        let object = Session.Object(
            id: 1, name: "cup", color: ObjectPalette.color(at: 0),
            steps: [
                Session.Step(points: [point], multimask: true, maskInput: false, candidate: 1),
                Session.Step(points: [point], multimask: false, maskInput: true, maskInputEdits: maskInputEdits, candidate: 0),
            ],
            edits: edits)
        let painted = Session.Object(id: 2, color: ObjectPalette.color(at: 1), edits: [paint])
        return Session(image: .init(path: "photo.jpg", sha256: imageHash, width: 8, height: 6), model: "sam2.1_hiera_t",
                       objects: [object, painted], noOverlaps: noOverlaps)
    }

    private func store() throws -> SessionStore {
        SessionStore(imagePath: try Support.makeScratchFolder(self) + "/photo.jpg")
    }

    private func write(_ text: String, to store: SessionStore) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: store.path))
    }

    /// The reason a corrupt file was refused (it fails the test when the file loads).
    private func corruptReason(_ store: SessionStore, _ label: String, file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            _ = try store.load()
            XCTFail("\(label): loaded", file: file, line: line)
        } catch SessionError.corrupt(_, let reason, _) {
            return reason
        } catch {
            XCTFail("\(label): \(error)", file: file, line: line)
        }
        return nil
    }

    func testVersionOneFileOpensWithoutEdits() throws {
        let store = try store()
        try write("""
            {"format": "samterm-session", "version": 1,
             "image": {"path": "photo.jpg", "sha256": "\(imageHash)", "width": 8, "height": 6},
             "model": "sam2.1_hiera_t",
             "objects": [{"id": 1, "name": "cup", "color": "#e62828",
                          "steps": [{"points": [{"x": 2.5, "y": 3.5, "label": 1}], "multimask": true,
                                     "maskInput": false, "candidate": 2},
                                    {"points": [{"x": 2.5, "y": 3.5, "label": 1}], "multimask": false,
                                     "maskInput": true, "candidate": 0}]}]}
            """, to: store)
        let loaded = try XCTUnwrap(try store.load())
        XCTAssertEqual(loaded.objects.count, 1)
        XCTAssertEqual(loaded.objects[0].edits, [])
        XCTAssertEqual(loaded.objects[0].steps.map(\.maskInputEdits), [nil, nil])
        XCTAssertNotEqual(loaded.noOverlaps, true)
        XCTAssertFalse(loaded.objects[0].isEmpty)

        // Saved again, it is a version 2 file.
        try store.save(loaded)
        XCTAssertTrue(try String(contentsOfFile: store.path, encoding: .utf8).contains("\"version\" : 2"))
        var upgraded = loaded
        upgraded.version = 2
        XCTAssertEqual(try store.load(), upgraded, "nothing else changes")
    }

    func testEditsRefineStepsAndNoOverlapsRoundTrip() throws {
        let store = try store()
        let saved = session(edits: [paint, .fillHoles(area: 100), erase, .removeIslands(area: 0)], maskInputEdits: 3)
        try store.save(saved)
        let loaded = try XCTUnwrap(try store.load())
        XCTAssertEqual(loaded, saved)
        XCTAssertEqual(loaded.objects[0].edits, [paint, .fillHoles(area: 100), erase, .removeIslands(area: 0)])
        XCTAssertEqual(loaded.objects[0].steps[1].maskInputEdits, 3)
        XCTAssertEqual(loaded.noOverlaps, true)
        XCTAssertTrue(loaded.objects[1].steps.isEmpty)
        XCTAssertFalse(loaded.objects[1].isEmpty, "an object with only edits is kept")

        let text = try String(contentsOfFile: store.path, encoding: .utf8)
        for word in ["\"noOverlaps\" : true", "\"maskInputEdits\" : 3", "\"op\" : \"paint\"", "\"op\" : \"erase\"",
                     "\"op\" : \"fill-holes\"", "\"op\" : \"remove-islands\""] {
            XCTAssertTrue(text.contains(word), "\(word) in \(text)")
        }
        // Without any, the fields are left out.
        let plain = session(edits: [], maskInputEdits: nil, noOverlaps: false)
        try store.save(plain)
        XCTAssertEqual(try store.load(), plain)
    }

    func testBadEditsAreValidationProblems() {
        let cases: [(MaskEdit, String)] = [
            (.fillHoles(area: -1), "fill holes area -1 is negative"),
            (.removeIslands(area: -50), "remove islands area -50 is negative"),
            (.stroke(.init(path: [], radius: 2, erases: false)), "no point"),
            (.stroke(.init(path: [.init(x: 1, y: 1)], radius: 0, erases: true)), "radius 0.0 is not a positive number"),
            (.stroke(.init(path: [.init(x: 1, y: 1)], radius: -3, erases: false)), "radius -3.0"),
            (.stroke(.init(path: [.init(x: 1, y: 1)], radius: .nan, erases: false)), "radius nan"),
            (.stroke(.init(path: [.init(x: 1, y: 1)], radius: .infinity, erases: false)), "radius inf"),
            (.stroke(.init(path: [.init(x: 1, y: .infinity)], radius: 1, erases: false)), "not finite"),
            (.stroke(.init(path: [.init(x: .nan, y: 1), .init(x: 1, y: 1)], radius: 1, erases: true)), "not finite"),
        ]
        for (edit, expected) in cases {
            let problems = session(edits: [paint, edit], maskInputEdits: nil).validationProblems()
            XCTAssertEqual(problems.count, 1, "\(edit): \(problems)")
            XCTAssertTrue(problems.first?.contains("object 1 (id 1), edit 2: ") == true, "\(problems)")
            XCTAssertTrue(problems.first?.contains(expected) == true, "\(expected) in \(problems)")
        }
        XCTAssertEqual(session(edits: [paint, .fillHoles(area: 0), erase]).validationProblems(), [])
    }

    func testBadMaskInputEditsAreValidationProblems() {
        XCTAssertEqual(session(edits: [paint], maskInputEdits: 1).validationProblems(), [])
        XCTAssertEqual(session(edits: [paint], maskInputEdits: 0).validationProblems(), [], "refining from no edit is allowed")
        for count in [2, -1] {
            let problems = session(edits: [paint], maskInputEdits: count).validationProblems()
            XCTAssertEqual(problems, ["object 1 (id 1), step 2: maskInputEdits \(count) is not among the object's 1 edits"])
        }
        var withoutMaskInput = session(edits: [paint], maskInputEdits: 1)
        withoutMaskInput.objects[0].steps[1].maskInput = false
        XCTAssertEqual(withoutMaskInput.validationProblems(), ["object 1 (id 1), step 2: maskInputEdits without maskInput"])
    }

    func testBadEditsOnDiskMakeTheFileCorrupt() throws {
        let store = try store()
        try store.save(session(edits: [paint, .removeIslands(area: -4)]))
        XCTAssertTrue(corruptReason(store, "negative area")?.contains("remove islands area -4 is negative") == true)
        try store.save(session(edits: [paint], maskInputEdits: 5))
        XCTAssertTrue(corruptReason(store, "maskInputEdits")?.contains("maskInputEdits 5") == true)
    }

    /// Edits as someone else might write them: every one is refused with a reason, none crashes
    /// the reader.
    func testHostileEditsNeverCrash() throws {
        let store = try store()
        let hostile = [
            "{\"op\": \"paint\"}",
            "{\"op\": \"paint\", \"radius\": 2}",
            "{\"op\": \"paint\", \"radius\": 2, \"path\": []}",
            "{\"op\": \"paint\", \"radius\": 2, \"path\": [[1]]}",
            "{\"op\": \"paint\", \"radius\": 2, \"path\": [[1, 2, 3]]}",
            "{\"op\": \"paint\", \"radius\": 2, \"path\": [[]]}",
            "{\"op\": \"erase\", \"radius\": \"big\", \"path\": [[1, 2]]}",
            "{\"op\": \"erase\", \"radius\": 1e999, \"path\": [[1, 2]]}",
            "{\"op\": \"erase\", \"radius\": 2, \"path\": [[1e999, 2]]}",
            "{\"op\": \"erase\", \"radius\": -0.0, \"path\": [[1, 2]]}",
            "{\"op\": \"paint\", \"radius\": 2, \"path\": {\"x\": 1}}",
            "{\"op\": \"paint\", \"radius\": 2, \"path\": [[\"1\", 2]]}",
            "{\"op\": \"paint\", \"radius\": null, \"path\": [[1, 2]]}",
            "{\"op\": \"fill-holes\"}",
            "{\"op\": \"fill-holes\", \"area\": 1.5}",
            "{\"op\": \"fill-holes\", \"area\": 1e30}",
            "{\"op\": \"remove-islands\", \"area\": -9223372036854775808}",
            "{\"op\": \"remove-islands\", \"area\": \"100\"}",
            "{\"op\": \"lasso\", \"area\": 5}",
            "{\"op\": 3}",
            "{}",
            "[]",
            "\"paint\"",
            "null",
        ]
        for edit in hostile {
            for edits in ["[\(edit)]", "[\(String(repeating: "[", count: 300))\(String(repeating: "]", count: 300))]"] {
                try write("""
                    {"format": "samterm-session", "version": 2,
                     "image": {"path": "photo.jpg", "sha256": "\(imageHash)", "width": 8, "height": 6},
                     "model": "m", "objects": [{"id": 1, "color": "#e62828", "steps": [], "edits": \(edits)}]}
                    """, to: store)
                let reason = corruptReason(store, edits)
                XCTAssertFalse(reason?.isEmpty ?? true, edits)
            }
        }
        for edits in ["{}", "3", "\"edits\""] {
            try write("""
                {"format": "samterm-session", "version": 2,
                 "image": {"path": "photo.jpg", "sha256": "\(imageHash)", "width": 8, "height": 6},
                 "model": "m", "objects": [{"id": 1, "color": "#e62828", "steps": [], "edits": \(edits)}]}
                """, to: store)
            _ = corruptReason(store, edits)
        }
        // A huge but valid area is no problem: the clean-up simply covers everything.
        XCTAssertEqual(session(edits: [.fillHoles(area: Int.max)]).validationProblems(), [])
        let mask = BinaryMask(width: 4, height: 3)
        XCTAssertEqual(MaskSculpting.apply([.fillHoles(area: Int.max)], to: mask, imageWidth: 8, imageHeight: 6).area, 12)
    }
}
