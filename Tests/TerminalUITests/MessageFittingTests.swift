// Long messages keep the words a user acts on: file names whole, the end of the sentence.
import Segmentation
import XCTest
@testable import TerminalUI

final class MessageFittingTests: XCTestCase {
    func testACorruptSessionsKeptNameShowsInA160ColumnLine() {
        let folder = "/home/annotator/projects/2026-street-scenes/batch-0042/camera-front-left/session-files"
        let path = folder + "/frame_000123.png.samterm.json"
        let kept = path + ".corrupt-20261202T110000"
        let text = SessionError.corrupt(path: path, reason: "the JSON ends early at byte 4096", keptAs: kept).description
        XCTAssertGreaterThan(text.count, 160)
        let terminal = TerminalSize(columns: 160, rows: 40)
        let state = EditorFixtures.loadedState(terminal: terminal, session: .setAside(text))
        let line = Chrome.messageLine(state, width: 160).plainText
        XCTAssertLessThanOrEqual(line.count, 160)
        XCTAssertTrue(line.contains("frame_000123.png.samterm.json.corrupt-20261202T110000"), line)
        XCTAssertTrue(line.contains("is corrupt"), line)
    }

    func testShortMessagesAndNarrowLinesAreFitted() {
        XCTAssertEqual(MessageFitting.fit("Exported 2 files", width: 40), "Exported 2 files")
        XCTAssertEqual(MessageFitting.fit("Saved /a/b/c/out.png now", width: 20), "Saved …/out.png now")
        let fitted = MessageFitting.fit(String(repeating: "word ", count: 40) + "the end", width: 30)
        XCTAssertEqual(fitted.count, 30)
        XCTAssertTrue(fitted.hasSuffix("the end"), fitted)
    }
}
