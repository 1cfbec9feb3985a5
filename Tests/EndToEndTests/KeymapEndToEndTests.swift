// keys.conf with the real binary in tmux: a mistake stops `samterm edit` before it starts (exit
// status 2, the file and line named); a good file's keys work and the help shows them.
import XCTest
import Foundation

final class KeymapEndToEndTests: EditorTmuxTestCase {
    private func waitForExit() throws -> (status: String, errors: String) {
        let file = folder.appendingPathComponent("exit-status")
        let deadline = Date(timeIntervalSinceNow: 60)
        while Date() < deadline {
            if let status = try? String(contentsOf: file, encoding: .utf8), status.hasSuffix("\n") {
                let errors = (try? String(contentsOf: folder.appendingPathComponent("errors.txt"), encoding: .utf8)) ?? ""
                return (status.trimmingCharacters(in: .whitespacesAndNewlines), errors)
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TmuxSession.Failure("samterm did not exit; the screen:\n\(tmux?.capture() ?? "")")
    }

    func testABadLineInKeysConfStopsTheEditorWithStatus2() throws {
        let keys = folder.appendingPathComponent("config/samterm/keys.conf")
        try "# habits\nnext-image = D\nfind-objetcs = ctrl-a\n".write(to: keys, atomically: true, encoding: .utf8)
        _ = try startEditor(errorsToFile: true)
        let (status, errors) = try waitForExit()
        XCTAssertEqual(status, "2", errors)
        XCTAssertTrue(errors.contains("\(keys.path):3: unknown action \"find-objetcs\""), errors)
    }

    func testAGoodKeysConfRebindsKeysAndTheHelpShowsThem() throws {
        try "find-objects = ctrl-a\nhelp = f1\n".write(to: folder.appendingPathComponent("config/samterm/keys.conf"),
                                                    atomically: true, encoding: .utf8)
        let session = try startEditor(errorsToFile: true)
        try session.waitFor("the model and the image's encoding") { EditorEndToEndTests.isIdle($0) && $0.contains("wide.png") }
        try session.send("F1")
        // The whole box, not its first lines: a capture can land while curses is still drawing it.
        let help = try session.waitFor("the help with the rebound keys") {
            $0.contains("samterm keys") && $0.contains("find every object") && $0.contains("more: j/k")
        }
        XCTAssertTrue(help.contains("Ctrl-A") && help.contains("find every object"), help)
        // The help's last lines are a page further down.
        try session.send("NPage")
        let end = try session.waitFor("the end of the help") { $0.contains("samterm keys") && $0.contains("this help") }
        XCTAssertTrue(end.contains("F1") && end.contains("this help"), end)
        try session.send("Escape")
        try session.send("C-a")
        try session.waitFor("the question before a minute of work") { $0.contains("Find every object? ~1024 points") }
        try session.send("n")
        try session.waitFor("the answer") { $0.contains("Not finding objects") }
        try session.send("q")
        XCTAssertEqual(try waitForExit().status, "0")
    }
}
