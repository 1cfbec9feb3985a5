// Two real editors in two tmux sessions on one image: the second opens it read-only and says
// who has it; the first's work is what the session holds, whatever the second does.
import XCTest
import Foundation
import Segmentation

final class TwoEditorsTests: XCTestCase {
    private var folder: URL!
    private var sessions: [TmuxSession] = []

    override func setUpWithError() throws {
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-two-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        sessions.forEach { $0.kill() }
        try? FileManager.default.removeItem(at: folder)
    }

    /// The editor on wide.png in tmux; its pid goes to NAME.pid, its exit status to NAME.exit.
    private func openEditor(_ name: String) throws -> TmuxSession {
        let checkpoint = EditorEndToEndTests.fixtures.appendingPathComponent("tiny_sam2.1.pt")
        let script = """
            echo $$ > '\(name).pid'
            exec env LC_ALL=C.UTF-8 XDG_CACHE_HOME='\(folder.path)/cache' '\(EditorEndToEndTests.binary.path)' edit wide.png \
                --checkpoint '\(checkpoint.path)' --device cpu --renderer truecolor --out '\(name)'
            """
        try script.write(to: folder.appendingPathComponent("\(name).sh"), atomically: true, encoding: .utf8)
        let session = try TmuxSession(command: "cd '\(folder.path)' && sh \(name).sh; echo $? > \(name).exit; sleep 60",
                                      columns: 120, rows: 40)
        sessions.append(session)
        return session
    }

    private func file(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func waitUntil(_ what: String, _ done: () -> Bool) throws {
        let deadline = Date(timeIntervalSinceNow: 60)
        while !done() {
            guard Date() < deadline else { throw TmuxSession.Failure("timed out waiting for \(what)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func testTheSecondEditorIsReadOnlyAndTheFirstsWorkIsWhatIsSaved() throws {
        guard FileManager.default.isExecutableFile(atPath: EditorEndToEndTests.binary.path) else {
            return XCTFail("\(EditorEndToEndTests.binary.path) is missing: build the samterm product first")
        }
        try FileManager.default.copyItem(at: EditorEndToEndTests.fixtures.appendingPathComponent("image_wide.png"),
                                         to: folder.appendingPathComponent("wide.png"))
        let sessionFile = file("wide.png.samterm.json"), lockFile = sessionFile + ".lock"
        let first = try openEditor("first")
        try first.waitFor("the first editor") { EditorEndToEndTests.isIdle($0) && $0.contains("no objects") }
        XCTAssertTrue(FileManager.default.fileExists(atPath: lockFile), "the first editor holds the lock")
        let firstPID = try String(contentsOfFile: file("first.pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

        // The second editor finds out at once, and says who has the image.
        let second = try openEditor("second")
        var screen = try second.waitFor("the second editor, read-only") { EditorEndToEndTests.isIdle($0) && $0.contains("read-only") }
        XCTAssertTrue(screen.contains("read-only: wide.png is open in another samterm (pid \(firstPID) on"), screen)
        XCTAssertTrue(EditorEndToEndTests.statusLine(screen).contains("read-only"), "shown while it lasts: \(screen)")

        // The first accepts an object: saved at once.
        try first.send("l", "l", "l", "Space")
        try first.waitFor("the first's object") { EditorEndToEndTests.isIdle($0) && EditorEndToEndTests.scores(in: $0).count == 3 }
        try first.send("n")
        var saved: Data?
        try waitUntil("the first's session") {
            saved = try? Data(contentsOf: URL(fileURLWithPath: sessionFile))
            return (try? SessionStore(path: sessionFile).load())?.objects.count == 1
        }

        // The second makes its own object: shown, never saved.
        try second.send("h", "h", "h", "h", "Space")
        screen = try second.waitFor("the second's object") { EditorEndToEndTests.isIdle($0) && EditorEndToEndTests.scores(in: $0).count == 3 }
        try second.send("n")
        Thread.sleep(forTimeInterval: 1)

        // The first quits (its object is not exported: it asks) and lets go of the image.
        try first.send("q")
        try first.waitFor("the quit question") { $0.contains("Not exported: wide.png — quit? (y/n)") }
        try first.send("y")
        try waitUntil("the first editor to end") { FileManager.default.fileExists(atPath: file("first.exit")) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: lockFile), "the lock is gone with the first editor")

        try second.send("q")
        try second.waitFor("the quit question") { $0.contains("Not exported: wide.png — quit? (y/n)") }
        try second.send("y")
        try waitUntil("the second editor to end") { FileManager.default.fileExists(atPath: file("second.exit")) }

        let after = try Data(contentsOf: URL(fileURLWithPath: sessionFile))
        XCTAssertEqual(after, saved, "the session is exactly what the first editor wrote")
        let session = try XCTUnwrap(try SessionStore(path: sessionFile).load())
        XCTAssertEqual(session.objects.count, 1)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.contains(".conflict-") || $0.hasSuffix(".lock") }
        XCTAssertEqual(leftovers, [], "no conflict file, no lock left behind")
    }
}
