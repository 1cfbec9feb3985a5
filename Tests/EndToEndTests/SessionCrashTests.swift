// Work survives SIGKILL: the real editor in tmux is killed mid-work, reopened, and gives back
// every saved object with masks identical to the ones exported before the kill.
import XCTest
import Foundation
import Segmentation

final class SessionCrashTests: XCTestCase {
    private var folder: URL!
    private var sessions: [TmuxSession] = []

    override func setUpWithError() throws {
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        sessions.forEach { $0.kill() }
        try? FileManager.default.removeItem(at: folder)
    }

    /// Starts the editor on wide.png in tmux, exporting into `out`; its PID goes to `out.pid`.
    private func openEditor(out: String) throws -> TmuxSession {
        let binary = EditorEndToEndTests.binary
        let checkpoint = EditorEndToEndTests.fixtures.appendingPathComponent("tiny_sam2.1.pt")
        let script = """
            echo $$ > '\(out).pid'
            mkdir -p '\(out)'
            exec env LC_ALL=C.UTF-8 XDG_CACHE_HOME='\(folder.path)/cache' '\(binary.path)' edit wide.png \
                --checkpoint '\(checkpoint.path)' --device cpu --renderer truecolor --out '\(out)'
            """
        try script.write(to: folder.appendingPathComponent("\(out).sh"), atomically: true, encoding: .utf8)
        let session = try TmuxSession(command: "cd '\(folder.path)' && sh \(out).sh; sleep 60", columns: 120, rows: 40)
        sessions.append(session)
        return session
    }

    private func pid(of out: String) throws -> pid_t {
        let text = try String(contentsOf: folder.appendingPathComponent("\(out).pid"), encoding: .utf8)
        return try XCTUnwrap(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    private func waitUntil(_ what: String, _ done: () -> Bool) throws {
        let deadline = Date(timeIntervalSinceNow: 60)
        while !done() {
            guard Date() < deadline else { throw TmuxSession.Failure("timed out waiting for \(what)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    private var sessionFile: String { folder.appendingPathComponent("wide.png.samterm.json").path }

    func testKilledMidWorkReopensEveryObjectWithIdenticalMasks() throws {
        guard FileManager.default.isExecutableFile(atPath: EditorEndToEndTests.binary.path) else {
            return XCTFail("\(EditorEndToEndTests.binary.path) is missing: build the samterm product first")
        }
        try FileManager.default.copyItem(at: EditorEndToEndTests.fixtures.appendingPathComponent("image_wide.png"),
                                         to: folder.appendingPathComponent("wide.png"))
        let first = try openEditor(out: "first")
        try first.waitFor("the image encoded") { EditorEndToEndTests.isIdle($0) && $0.contains("wide.png") && $0.contains("no objects") }

        // Object 1: a point, another candidate, then a refining background point.
        try first.send("l", "l", "l", "Space")
        try first.waitFor("three candidates") { EditorEndToEndTests.isIdle($0) && EditorEndToEndTests.scores(in: $0).count == 3 }
        try first.send("Tab")
        try first.waitFor("the next candidate") { EditorEndToEndTests.chosenCandidate(in: $0) != nil }
        try first.send("j", "j", "x")
        try first.waitFor("the refined mask") { EditorEndToEndTests.isIdle($0) && EditorEndToEndTests.scores(in: $0).count == 1 }
        // Object 2: a box.
        try first.send("n", "h", "h", "h", "h", "k", "k", "b", "l", "l", "l", "l", "l", "l", "j", "j", "j", "j", "b")
        try first.waitFor("the box's mask") {
            EditorEndToEndTests.isIdle($0) && $0.contains("object 2 (2 of 2)") && EditorEndToEndTests.scores(in: $0).count == 1
        }

        // Every change is in the session file without quitting or exporting.
        let store = SessionStore(path: sessionFile)
        var saved: Session?
        try waitUntil("the session with both objects") {
            saved = try? store.load()
            return saved?.objects.map(\.steps.count) == [2, 1]
        }
        let session = try XCTUnwrap(saved)
        XCTAssertEqual(session.objects[0].steps.map(\.maskInput), [false, true])
        XCTAssertEqual(session.objects[0].steps[0].points.count, 1)
        XCTAssertNotNil(session.objects[1].steps[0].box)
        XCTAssertEqual(session.image.sha256, try SHA256.hexDigest(ofFileAt: folder.appendingPathComponent("wide.png").path))

        try first.send("e", "Enter")
        try first.waitFor("the export") { $0.contains("Exported 3 files") }

        // More work, and the kill lands while its prediction may still be running.
        try first.send("n", "l", "l", "Space")
        let editor = try pid(of: "first")
        XCTAssertEqual(Glibc.kill(editor, SIGKILL), 0)
        try waitUntil("the editor to die") { Glibc.kill(editor, 0) != 0 }
        let afterKill = try XCTUnwrap(try store.load(), "the session file is whole after the kill")
        XCTAssertEqual(Array(afterKill.objects.prefix(2).map(\.steps)), session.objects.map(\.steps))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp") || $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "no temporary file left behind")

        // Reopen: the objects come back, and their masks export identically.
        let second = try openEditor(out: "second")
        let screen = try second.waitFor("the restored objects") { $0.contains("Restored") }
        XCTAssertTrue(screen.contains("Restored \(afterKill.objects.count) object"), screen)
        try second.waitFor("the encoding") { EditorEndToEndTests.isIdle($0) }
        try second.send("e", "Enter")
        try second.waitFor("the export") { $0.contains("Exported \(afterKill.objects.count + 1) files") }
        for name in ["wide_mask_01.png", "wide_mask_02.png"] {
            let before = try Data(contentsOf: folder.appendingPathComponent("first/\(name)"))
            let after = try Data(contentsOf: folder.appendingPathComponent("second/\(name)"))
            XCTAssertEqual(before, after, "\(name) is identical after the kill and the replay")
            let mask = try RGBImage.load(path: folder.appendingPathComponent("second/\(name)").path)
            XCTAssertTrue(mask.pixels.contains(255), "\(name) is not empty")
        }
    }
}
