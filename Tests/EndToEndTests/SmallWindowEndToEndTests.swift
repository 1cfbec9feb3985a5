// The editor in 80 x 24 and 60 x 20 tmux windows: after a click the status line shows the three
// scores whole and the object's name (the objects panel is hidden), and the help scrolls to
// its last line.
import XCTest
import Foundation

final class SmallWindowEndToEndTests: EditorTmuxTestCase {
    func testStatusAndHelpAt80x24And60x20() throws {
        let session = try startEditor(columns: 80, rows: 24)

        _ = try session.waitFor("the model and the image") { EditorEndToEndTests.isIdle($0) && Self.status($0, rows: 24).contains("wide.png") }
        XCTAssertFalse(session.capture().contains("│ Objects"), "no room for the panel at 80 columns")
        try session.send("l", "l", "l", "Space")
        var screen = try session.waitFor("three whole scores and the latency at 80x24") {
            EditorEndToEndTests.isIdle($0) && Self.scores(Self.status($0, rows: 24)).count == 3 && Self.status($0, rows: 24).contains(" ms")
        }
        XCTAssertTrue(Self.status(screen, rows: 24).contains("#1") || Self.status(screen, rows: 24).contains("object 1"), "the object's id: \(screen)")
        try session.send("N", "t", "r", "i", "p", "o", "d", "Enter")
        screen = try session.waitFor("the object's name in the status line") { Self.status($0, rows: 24).contains("tripod") }
        XCTAssertEqual(Self.scores(Self.status(screen, rows: 24)).count, 3, screen)
        try checkHelpScrollsToItsEnd(session, rows: 24)

        try session.resize(columns: 60, rows: 20)
        screen = try session.waitFor("the 60x20 layout") {
            Self.status($0, rows: 20).contains("tripod") && Self.scores(Self.status($0, rows: 20)).count == 3
        }
        let status = Self.status(screen, rows: 20)
        XCTAssertFalse(status.contains("sam2"), "the model name gives way first: \(status)")
        XCTAssertLessThanOrEqual(status.trimmingCharacters(in: .whitespaces).count, 60)
        try checkHelpScrollsToItsEnd(session, rows: 20)
    }

    /// `?` opens a help that says there is more; End scrolls to its last line; Escape closes it.
    private func checkHelpScrollsToItsEnd(_ session: TmuxSession, rows: Int) throws {
        try session.send("?")
        // The whole box, not its first lines: a capture can land while curses is still drawing it.
        let opened = try session.waitFor("the help and its last line") { $0.contains("samterm keys") && $0.contains("more: j/k") }
        XCTAssertTrue(opened.contains("more: j/k"), "it says there is more: \(opened)")
        let lastLine = try XCTUnwrap(KeymapHelp.lastLineWords)
        XCTAssertFalse(opened.contains(lastLine), opened)
        try session.send("PageDown", "PageDown", "PageDown", "PageDown", "j", "j")
        let end = try session.waitFor("the help's last line") { $0.contains(lastLine) }
        XCTAssertTrue(end.contains("samterm keys"), "still the help: \(end)")
        try session.send("Escape")
        _ = try session.waitFor("the help to close") { !$0.contains("samterm keys") && Self.status($0, rows: rows).contains("tripod") }
    }

    static func status(_ screen: String, rows: Int) -> String {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.indices.contains(rows - 2) ? String(lines[rows - 2]) : ""
    }

    /// Whole "1:0.91 [2:0.85] 3:0.40" scores, each with its two decimals.
    static func scores(_ status: String) -> [String] {
        status.matches(of: #/(?:^|\s)\[?(\d):-?\d+\.\d\d\]?(?=\s|$)/#).map { String($0.output.1) }
    }
}

/// The help's last line, as the editor's help lists it (the mouse's pan line).
enum KeymapHelp {
    static let lastLineWords: String? = "middle or Shift+left drag: pan"
}
