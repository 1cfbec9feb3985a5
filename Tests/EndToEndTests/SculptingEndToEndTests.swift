// Brush strokes in the real editor (tmux, the tiny fixture model): a painted disc and an erased
// one are saved with the object, come back when the image is opened again, reach the exported
// PNG, and a SIGKILL right after a stroke loses at most that stroke.
import XCTest
import Foundation
import Segmentation

final class SculptingEndToEndTests: EditorTmuxTestCase {
    private var store: SessionStore { SessionStore(path: folder.appendingPathComponent("wide.png.samterm.json").path) }

    /// One object from a point, then paint mode on.
    private func objectInPaintMode(_ session: TmuxSession) throws {
        try session.waitFor("the image encoded") { EditorEndToEndTests.isIdle($0) && $0.contains("no objects") }
        try session.send("l", "l", "l", "Space")
        try session.waitFor("the candidates") { EditorEndToEndTests.isIdle($0) && EditorEndToEndTests.scores(in: $0).count == 3 }
        try session.send("p")
        try session.waitFor("paint mode") { EditorEndToEndTests.statusLine($0).lowercased().contains("paint") }
    }

    /// The saved session once its first object has `count` edits.
    @discardableResult
    private func savedSession(withEdits count: Int) throws -> Session {
        var saved: Session?
        try waitUntil("the session with \(count) edits") {
            saved = try? store.load()
            return saved?.objects.first?.edits.count == count
        }
        return saved!
    }

    /// Opens the image again and exports it with the dialog's defaults; the exported mask.
    private func reopenAndExport(objects: Int) throws -> BinaryMask {
        tmux?.kill()
        let session = try startEditor()
        try session.waitFor("the restored object") { $0.contains("Restored \(objects) object") }
        try session.waitFor("the replay") { EditorEndToEndTests.isIdle($0) }
        try session.send("e")
        try session.waitFor("the export dialog") { $0.contains("Formats (1-6") }
        try session.send("Enter")
        try session.waitFor("the export") { $0.contains("Exported 2 files") }
        let png = try RGBImage.load(path: folder.appendingPathComponent("samterm-export/wide_mask_01.png").path)
        return BinaryMask(width: png.width, height: png.height, bytes: stride(from: 0, to: png.pixels.count, by: 3).map { png.pixels[$0] })
    }

    /// Pixels of a 64x48 mask whose centres lie within the stroke's disc.
    private func disc(of edit: MaskEdit) throws -> [(x: Int, y: Int)] {
        guard case .stroke(let stroke) = edit, let centre = stroke.path.first else { throw TmuxSession.Failure("not a stroke: \(edit)") }
        var pixels: [(x: Int, y: Int)] = []
        for y in 0..<48 {
            for x in 0..<64 {
                let dx = Double(x) + 0.5 - centre.x, dy = Double(y) + 0.5 - centre.y
                if dx * dx + dy * dy <= stroke.radius * stroke.radius { pixels.append((x, y)) }
            }
        }
        return pixels
    }

    func testAPaintedAndAnErasedDiscAreSavedRestoredAndExported() throws {
        let session = try startEditor()
        try objectInPaintMode(session)
        try session.send("H", "Space")
        try savedSession(withEdits: 1)
        try session.send("S-Right", "S-Right", "x")
        let saved = try savedSession(withEdits: 2)
        let object = try XCTUnwrap(saved.objects.first)
        XCTAssertEqual(object.edits.map(\.label), ["paint", "erase"])
        let mask = try XCTUnwrap(object.mask).decode(width: 64, height: 48)
        let painted = try disc(of: object.edits[0]), erased = try disc(of: object.edits[1])
        XCTAssertFalse(painted.isEmpty || erased.isEmpty)
        XCTAssertTrue(erased.allSatisfy { !mask[$0.x, $0.y] }, "the erased disc is empty in the saved mask")
        let paintedOnly = painted.filter { p in !erased.contains { $0 == p } }
        XCTAssertFalse(paintedOnly.isEmpty, "the discs are apart")
        XCTAssertTrue(paintedOnly.allSatisfy { mask[$0.x, $0.y] }, "the painted disc is whole in the saved mask")

        try session.send("Escape", "q")
        let screen = try session.waitFor("the quit question or the exit") {
            $0.contains("quit? (y/n)") || FileManager.default.fileExists(atPath: self.folder.appendingPathComponent("exit-status").path)
        }
        if screen.contains("quit? (y/n)") { try session.send("y") }
        try waitUntil("the editor to quit") { FileManager.default.fileExists(atPath: folder.appendingPathComponent("exit-status").path) }

        // Opened again: the same mask, pixel for pixel, and it is what the export writes.
        let exported = try reopenAndExport(objects: 1)
        XCTAssertEqual(exported, mask, "the reopened object's export is the saved sculpted mask")
        XCTAssertEqual(try XCTUnwrap(try store.load()).objects.first?.edits, object.edits, "the strokes are still saved")
    }

    func testASIGKILLRightAfterAStrokeLosesAtMostThatStroke() throws {
        let session = try startEditor()
        try objectInPaintMode(session)
        try session.send("H", "Space")
        let first = try savedSession(withEdits: 1)
        let editor = try editorPID(session)

        // A second stroke, and the kill right behind it.
        try session.send("S-Right", "S-Right", "Space")
        XCTAssertEqual(Glibc.kill(editor, SIGKILL), 0)
        try waitUntil("the editor to die") { Glibc.kill(editor, 0) != 0 }
        let afterKill = try XCTUnwrap(try store.load(), "the session file is whole after the kill")
        let edits = try XCTUnwrap(afterKill.objects.first?.edits)
        XCTAssertTrue(edits.count == 1 || edits.count == 2, "at most the stroke in flight is lost: \(edits)")
        XCTAssertEqual(edits.first, first.objects.first?.edits.first, "the stroke saved before the kill is kept")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [], "no temporary file left behind")

        // The lock the killed editor left is taken over; the object comes back as saved.
        let exported = try reopenAndExport(objects: 1)
        XCTAssertEqual(exported, try XCTUnwrap(afterKill.objects.first?.mask).decode(width: 64, height: 48))
    }

    /// The samterm process in the tmux pane (the pane's shell runs it as its child).
    private func editorPID(_ session: TmuxSession) throws -> pid_t {
        let shell = try session.run(["display-message", "-p", "-t", "editor", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let children = try String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
        return try XCTUnwrap(children.split(separator: " ").compactMap { pid_t($0) }.first, "samterm is running under \(shell)")
    }

    private func waitUntil(_ what: String, _ done: () -> Bool) throws {
        let deadline = Date(timeIntervalSinceNow: 60)
        while !done() {
            guard Date() < deadline else { throw TmuxSession.Failure("timed out waiting for \(what); the screen:\n\(tmux?.capture() ?? "")") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}
