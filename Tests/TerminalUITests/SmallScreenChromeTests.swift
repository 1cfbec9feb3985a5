// The chrome of 80 x 24 and 60 x 20 screens: what gives way first (model and renderer names),
// what stays whole (the scores, the current object), and a help that scrolls to its end.
import XCTest
import Segmentation
@testable import TerminalUI

final class SmallScreenChromeTests: XCTestCase {
    typealias F = EditorFixtures

    /// Two images, a named object with three candidates, a latency: everything the line can hold.
    private func busyState(_ terminal: TerminalSize) throws -> EditorState {
        var state = F.loadedState(paths: ["/photos/street_camera_front.png", "/photos/b.png"], terminal: terminal,
                                  width: 640, height: 480)
        let request = try XCTUnwrap(F.predictRequests(F.press([.enter], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id,
                                    result: F.result(best: 1, maskWidth: 640, maskHeight: 480)))
        _ = state.apply(.latencyMeasured(milliseconds: 123))
        F.press([.character("N")], on: &state)
        for character in "tripod" { F.press([.character(character)], on: &state) }
        F.press([.enter], on: &state)
        return state
    }

    private static let wholeWords = ["street_camera_front.png", "1:0.50", "[2:0.95]", "3:0.70", "tripod"]

    func testAt80x24TheScoresAndTheObjectStayWholeAndTheNamesGiveWay() throws {
        let state = try busyState(TerminalSize(columns: 80, rows: 24))
        XCTAssertNil(state.layout.objectPanel, "no room for the panel at 80 columns")
        let line = Chrome.statusLine(state, width: 80).plainText
        XCTAssertLessThanOrEqual(line.count, 80)
        for word in Self.wholeWords { XCTAssertTrue(line.contains(word), "\(word) in \(line)") }
        XCTAssertTrue(line.contains("1 of 1") || line.contains("(1/1)"), line)
        XCTAssertFalse(line.contains("truecolor"), "the renderer goes first: \(line)")
        XCTAssertFalse(line.contains("…"), "nothing cut: \(line)")
        let wide = Chrome.statusLine(state, width: 200).plainText
        XCTAssertTrue(wide.contains("truecolor") && wide.contains("sam2.1_hiera_t cpu") && wide.contains("123 ms"), wide)
    }

    func testAt60x20TheScoresAndTheObjectsNameStillShow() throws {
        let state = try busyState(TerminalSize(columns: 60, rows: 20))
        let line = Chrome.statusLine(state, width: 60).plainText
        XCTAssertLessThanOrEqual(line.count, 60)
        for word in ["1:0.50", "[2:0.95]", "3:0.70", "tripod"] { XCTAssertTrue(line.contains(word), "\(word) in \(line)") }
        XCTAssertFalse(line.contains("sam2.1"), "the model goes before the scores: \(line)")
        XCTAssertFalse(line.contains("640x480"), line)
    }

    func testTheMessageHintKeepsWholeGroups() throws {
        let state = try busyState(TerminalSize(columns: 60, rows: 20))
        var quiet = state
        quiet.message = nil
        let hint = Chrome.messageLine(quiet, width: 60).plainText
        XCTAssertLessThanOrEqual(hint.count, 60)
        XCTAssertTrue(hint.hasPrefix(" ? help"), hint)
        let groups = Chrome.hintGroups(.standard).filter { hint.contains($0) }
        XCTAssertGreaterThanOrEqual(groups.count, 3, hint)
        XCTAssertEqual(hint.trimmingCharacters(in: .whitespaces), groups.joined(separator: "  "), "only whole groups: \(hint)")
    }

    func testTheHintNamesTheKeysInForce() {
        XCTAssertEqual(Chrome.hint(width: 200), "? help  Space/x point  b box  Tab candidate  n new object  e export  q quit")
        let keymap = ActiveKeymap.standard.applying([KeymapOverride(action: .export, keys: [.character("E")], line: 1),
                                                     KeymapOverride(action: .showHelp, keys: [.function(1)], line: 2)])
        XCTAssertEqual(Chrome.hint(width: 200, keymap: keymap), "F1 help  Space/x point  b box  Tab candidate  n new object  E export  q quit")
        var state = F.loadedState()
        state.keymap = keymap
        state.message = nil
        XCTAssertTrue(Chrome.messageLine(state, width: 120).plainText.contains("E export"))
    }

    func testAnObjectWithoutANameShowsItsIDWhenThePanelIsHidden() throws {
        var state = F.loadedState(terminal: TerminalSize(columns: 60, rows: 20))
        F.press([.enter], on: &state)
        let line = Chrome.statusLine(state, width: 60).plainText
        XCTAssertTrue(line.contains("object 1") || line.contains("#1"), line)
        var wide = F.loadedState(terminal: TerminalSize(columns: 120, rows: 40))
        F.press([.enter], on: &wide)
        XCTAssertTrue(Chrome.statusLine(wide, width: 120).plainText.contains("object 1 (1 of 1)"), "the id, then its place")
    }

    func testLongLinesAreCutAtASpaceWithAnEllipsis() {
        let line: StyledLine = [StyledSpan("alpha beta gamma delta")]
        XCTAssertEqual(line.cutAtWord(to: 14).plainText, "alpha beta…")
        XCTAssertEqual(line.cutAtWord(to: 40).plainText, "alpha beta gamma delta")
    }

    func testTheHelpScrollsToItsLastLineAt80x24() throws {
        var state = try busyState(TerminalSize(columns: 80, rows: 24))
        F.press([.character("?")], on: &state)
        let area = state.layout.imageArea
        var page = HelpOverlay.page(in: area, scroll: state.helpScroll)
        XCTAssertGreaterThan(page.maximumScroll, 0, "the help is taller than 22 rows")
        XCTAssertTrue(page.lines.last?.hasPrefix("more: j/k") ?? false, page.lines.joined(separator: "\n"))
        XCTAssertTrue(page.lines.allSatisfy { $0.count <= page.box.width - 4 })
        XCTAssertLessThanOrEqual(page.box.height, area.height)
        let lastHelpLine = try XCTUnwrap(Keymap.helpLines.last)
        XCTAssertFalse(page.lines.contains(lastHelpLine))
        F.press([.pageDown, .pageDown, .pageDown, .character("j")], on: &state)
        XCTAssertEqual(state.mode, .help, "scrolling keys keep the help open")
        page = HelpOverlay.page(in: area, scroll: state.helpScroll)
        XCTAssertEqual(state.helpScroll, page.maximumScroll)
        XCTAssertTrue(page.lines.contains(lastHelpLine), page.lines.joined(separator: "\n"))
        XCTAssertTrue(page.lines.last?.hasPrefix("end") ?? false, page.lines.joined(separator: "\n"))
        F.press([.character("k")], on: &state)
        XCTAssertEqual(state.helpScroll, page.maximumScroll - 1)
        F.press([.character("q")], on: &state)
        XCTAssertEqual(state.mode, .normal, "any other key closes it")
    }

    func testAt60ColumnsLongHelpLinesWrapAtSpaces() {
        let area = CellRect(column: 0, row: 0, width: 60, height: 18)
        let page = HelpOverlay.page(in: area)
        XCTAssertTrue(page.lines.allSatisfy { $0.count <= 56 }, page.lines.joined(separator: "\n"))
        let body = Keymap.helpLines
        let wrapped = body.flatMap { HelpOverlay.wrap($0, width: 56) }
        XCTAssertTrue(wrapped.allSatisfy { $0.count <= 56 })
        XCTAssertGreaterThan(wrapped.count, body.count, "the longest lines wrap")
        let words = body.joined(separator: " ").split(separator: " ")
        let wrappedWords = wrapped.joined(separator: " ").split(separator: " ")
        XCTAssertEqual(words, wrappedWords, "every word whole, none cut")
    }

    func testAWideShortAreaUsesTwoColumns() {
        let area = CellRect(column: 0, row: 0, width: 200, height: 30)
        let page = HelpOverlay.page(in: area)
        XCTAssertEqual(page.maximumScroll, 0, "two columns fit: no scrolling")
        XCTAssertTrue(page.lines.contains { $0.contains("foreground point") && $0.contains("   ") && $0.count > 80 },
                      page.lines.joined(separator: "\n"))
    }
}
