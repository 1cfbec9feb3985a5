// A deleted object comes back with `u`: the real editor in tmux with the tiny fixture model, the
// panel on screen and the session file on disk.
import XCTest
import Foundation
import Segmentation

final class UndoEndToEndTests: EditorTmuxTestCase {
    func testUndoBringsADeletedObjectBackOnScreenAndInTheSession() throws {
        let session = try startEditor()
        try session.waitFor("the image encoded") { EditorEndToEndTests.isIdle($0) && $0.contains("no objects") }

        // Object 1, accepted; object 2 at another place.
        try session.send("l", "l", "l", "Space")
        try session.waitFor("object 1's mask") { EditorEndToEndTests.isIdle($0) && EditorEndToEndTests.scores(in: $0).count == 3 }
        try session.send("n", "h", "h", "h", "h", "h", "h", "h", "h", "Space")
        var screen = try session.waitFor("object 2's mask") {
            EditorEndToEndTests.isIdle($0) && $0.contains("object 2 (2 of 2)") && EditorEndToEndTests.scores(in: $0).count == 3
        }
        XCTAssertEqual(Self.panelIDs(screen), [1, 2], screen)
        let store = SessionStore(path: folder.appendingPathComponent("wide.png.samterm.json").path)
        try waitUntil("the session with both objects") { (try? store.load())?.objects.map(\.id) == [1, 2] }
        let savedBefore = try XCTUnwrap(try store.load())

        // Delete it, confirmed with y: gone from the panel and from the session.
        try session.send("DC")
        try session.waitFor("the question") { $0.contains("Delete object 2? (y/n)") }
        try session.send("y")
        screen = try session.waitFor("the delete") { $0.contains("Deleted object 2") }
        XCTAssertEqual(Self.panelIDs(screen), [1], screen)
        try waitUntil("the session without object 2") { (try? store.load())?.objects.map(\.id) == [1] }

        // `u` brings it back, says so, and the session has it again, steps and all.
        try session.send("u")
        screen = try session.waitFor("the undo") { $0.contains("Undid: delete object 2") }
        XCTAssertEqual(Self.panelIDs(screen), [1, 2], screen)
        XCTAssertTrue(screen.contains("object 2 (2 of 2)"), "the restored object is the current one: \(screen)")
        XCTAssertEqual(EditorEndToEndTests.scores(in: screen).count, 3, "its candidates came back with it: \(screen)")
        try waitUntil("the session with object 2 again") { (try? store.load())?.objects.map(\.id) == [1, 2] }
        let savedAfter = try XCTUnwrap(try store.load())
        XCTAssertEqual(savedAfter.objects.map(\.steps), savedBefore.objects.map(\.steps))
    }

    /// The ids listed in the objects panel (the last 24 columns), top to bottom.
    static func panelIDs(_ screen: String) -> [Int] {
        screen.split(separator: "\n", omittingEmptySubsequences: false).prefix(38).compactMap { line in
            line.suffix(24).firstMatch(of: #/█ (\d+)/#).flatMap { Int($0.output.1) }
        }
    }

    private func waitUntil(_ what: String, _ done: () -> Bool) throws {
        let deadline = Date(timeIntervalSinceNow: 60)
        while !done() {
            guard Date() < deadline else { throw TmuxSession.Failure("timed out waiting for \(what); the screen:\n\(tmux?.capture() ?? "")") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}
