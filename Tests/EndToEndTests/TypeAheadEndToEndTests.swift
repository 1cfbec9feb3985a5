// Type-ahead in the real editor: a burst of keys sent in one tmux send-keys while the image is
// still being encoded (or its first prediction runs) ends as typing it slowly would.
import XCTest
import Foundation
import Segmentation

final class TypeAheadEndToEndTests: EditorTmuxTestCase {
    func testABurstOfPointsAndAcceptsMakesThreeObjects() throws {
        let size = try RGBImage.load(path: folder.appendingPathComponent("wide.png").path)
        let exitFile = folder.appendingPathComponent("exit-status")
        let session = try startEditor()

        // As soon as the image shows (its size is in the status line), before the model and the
        // encoding are done if the machine is slow enough: the burst, in one send-keys.
        let shown = try session.waitFor("the image") { $0.contains("wide.png \(size.width)x\(size.height)") }
        let early = !EditorEndToEndTests.isIdle(shown)
        try session.send("l", "Space", "n", "l", "l", "Space", "n", "j", "Space", "n")
        let right = session.capture()
        print("type-ahead burst sent while busy: \(early); right after: \(EditorEndToEndTests.statusLine(right))")

        let screen = try session.waitFor("three accepted objects") {
            EditorEndToEndTests.isIdle($0) && $0.contains("object 4 (4 of 4)") && !$0.contains("waiting")
        }
        XCTAssertFalse(screen.contains("Nothing to accept"), screen)
        XCTAssertTrue(screen.contains("Accepted object 3"), screen)

        // The session holds the three objects, one point and one prediction each, where the
        // cursor was: one cell right, two more, one down.
        let store = SessionStore(path: folder.appendingPathComponent("wide.png.samterm.json").path)
        var saved: Session?
        let deadline = Date(timeIntervalSinceNow: 30)
        while Date() < deadline {
            saved = try? store.load()
            if saved?.objects.count == 3 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let objects = try XCTUnwrap(saved, "no session file").objects
        XCTAssertEqual(objects.map(\.steps.count), [1, 1, 1], "burst sent while busy: \(early)")
        XCTAssertEqual(objects.map { $0.steps.last?.points.count }, [1, 1, 1])
        let points = objects.compactMap { $0.steps.last?.points.first }
        XCTAssertEqual(points.count, 3)
        if points.count == 3 {
            XCTAssertGreaterThan(points[1].x, points[0].x)
            XCTAssertEqual(points[1].y, points[0].y)
            XCTAssertEqual(points[2].x, points[1].x)
            XCTAssertGreaterThan(points[2].y, points[1].y)
        }

        // Export: three masks and the COCO file; nothing unsaved then, so q quits at once.
        try session.send("e", "Enter")
        try session.waitFor("the export") { $0.contains("Exported") || $0.contains("Export failed") }
        try session.send("q")
        let status = try waitForFile(exitFile)
        XCTAssertEqual(status.trimmingCharacters(in: .whitespacesAndNewlines), "0", session.capture())
        for index in 1...3 {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("samterm-export/wide_mask_0\(index).png").path),
                          "mask \(index)")
        }
        let coco = try Data(contentsOf: folder.appendingPathComponent("samterm-export/wide_coco.json"))
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: coco) as? [String: Any])
        XCTAssertEqual((document["annotations"] as? [Any])?.count, 3)
    }

    private func waitForFile(_ file: URL) throws -> String {
        let deadline = Date(timeIntervalSinceNow: 60)
        while Date() < deadline {
            if let text = try? String(contentsOf: file, encoding: .utf8), text.hasSuffix("\n") { return text }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TmuxSession.Failure("samterm did not exit; the screen:\n\(tmux?.capture() ?? "")")
    }
}
