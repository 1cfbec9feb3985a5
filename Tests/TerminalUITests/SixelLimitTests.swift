// The terminal's largest sixel image (XTSMGRAPHICS): its replies, the fallback when there are
// none, and frames that never exceed it.
import XCTest
import Segmentation
@testable import TerminalUI

final class SixelLimitTests: XCTestCase {
    typealias F = EditorFixtures
    let xterm = Array("\u{1b}[6;20;10t\u{1b}[?2;0;1000;1000S\u{1b}[?1;0;1024S\u{1b}[?63;1;2;4;6;9;15;22c".utf8)

    func testGraphicsRepliesAreRead() {
        XCTAssertEqual(TerminalCapabilities.sixelGeometry(in: xterm), PixelSize(width: 1000, height: 1000))
        XCTAssertEqual(TerminalCapabilities.colorRegisters(in: xterm), 1024)
        let swapped = Array("\u{1b}[?1;0;256S\u{1b}[?2;0;1920;1080S\u{1b}[?62;4c".utf8)
        XCTAssertEqual(TerminalCapabilities.sixelGeometry(in: swapped), PixelSize(width: 1920, height: 1080), "in either order")
        XCTAssertEqual(TerminalCapabilities.colorRegisters(in: swapped), 256)
        XCTAssertEqual(TerminalCapabilities.primaryDeviceAttributes(in: swapped), [62, 4], "DA1 is still found among them")
    }

    func testGarbageAndFailedRepliesGiveNothing() {
        let replies = ["\u{1b}[?2;3;0S": "status 3: failure",
                       "\u{1b}[?2;0;1000S": "a height missing",
                       "\u{1b}[?2;0;0;0S": "no size",
                       "\u{1b}[?2;0;10x0;600S": "not numbers",
                       "\u{1b}[?2;0;1000;1000": "an unfinished reply",
                       "\u{1b}[2;0;1000;1000S": "not a private reply",
                       "\u{1b}[?1;0;256S": "colour registers, not a size",
                       "\u{1b}[?2;0;99999999999999999999999;5S": "a number too long",
                       "": "no reply"]
        for (reply, why) in replies {
            XCTAssertNil(TerminalCapabilities.sixelGeometry(in: Array(reply.utf8)), why)
        }
        XCTAssertNil(TerminalCapabilities.colorRegisters(in: Array("\u{1b}[?1;2;0S\u{1b}[?62;4c".utf8)))
    }

    func testASixelTerminalThatDoesNotSayItsLimitIsAssumedToHaveXtermsDefault() {
        func capabilities(_ reply: String) -> TerminalCapabilities {
            TerminalCapabilities(replies: Array(reply.utf8), environment: ["COLORTERM": "truecolor"], terminfoColors: 256,
                                 terminfoHasRGB: false)
        }
        XCTAssertEqual(capabilities(String(decoding: xterm, as: UTF8.self)).sixelLimit, PixelSize(width: 1000, height: 1000))
        XCTAssertEqual(capabilities("\u{1b}[?2;0;2000;1500S\u{1b}[?62;4c").sixelLimit, PixelSize(width: 2000, height: 1500))
        let silent = capabilities("\u{1b}[?62;4c")
        XCTAssertTrue(silent.supportsSixel)
        XCTAssertEqual(silent.sixelLimit, TerminalCapabilities.assumedSixelLimit)
        XCTAssertEqual(silent.sixelLimit, PixelSize(width: 1000, height: 1000))
        XCTAssertNil(silent.sixelColorRegisters)
        XCTAssertEqual(capabilities("\u{1b}[?2;3;0S\u{1b}[?62;4c").sixelLimit, TerminalCapabilities.assumedSixelLimit, "a refusal")
        XCTAssertNil(capabilities("\u{1b}[?62;1;2c").sixelLimit, "no sixel, no limit")
        XCTAssertNil(capabilities("").sixelLimit, "no reply at all: no sixel")
        XCTAssertEqual(capabilities("").colorDepth, .truecolor)
    }

    func testTheImageAreaShrinksToTheLimit() {
        let wide = TerminalSize(columns: 200, rows: 60, cellPixelWidth: 10, cellPixelHeight: 20)
        XCTAssertEqual(ScreenLayout(terminal: wide).imageArea, CellRect(column: 0, row: 0, width: 176, height: 58))
        XCTAssertNil(ScreenLayout(terminal: wide).pictureLimited)
        var limited = wide
        limited.pictureLimit = PixelSize(width: 1000, height: 1000)
        let layout = ScreenLayout(terminal: limited)
        XCTAssertEqual(layout.imageArea, CellRect(column: 0, row: 0, width: 100, height: 50), "1000 / 10 columns, 1000 / 20 rows")
        XCTAssertEqual(layout.pictureLimited, PixelSize(width: 1000, height: 1000))
        XCTAssertEqual(layout.objectPanel, ScreenLayout(terminal: wide).objectPanel, "the panel stays where it was")
        XCTAssertEqual(layout.statusRow, 58)
        limited.pictureLimit = PixelSize(width: 2000, height: 2000)
        XCTAssertEqual(ScreenLayout(terminal: limited).imageArea.width, 176, "a limit the window is within changes nothing")
        XCTAssertNil(ScreenLayout(terminal: limited).pictureLimited)
    }

    func testASixelFrameNeverExceedsTheLimitAndTheStatusLineSaysSo() throws {
        // 60 x 18 cells of 4 x 8 pixels would be 240 x 144; the terminal takes 100 x 64 at most.
        let terminal = TerminalSize(columns: 60, rows: 20, cellPixelWidth: 4, cellPixelHeight: 8,
                                    pictureLimit: PixelSize(width: 100, height: 64))
        var state = F.loadedState(terminal: terminal)
        XCTAssertEqual(state.layout.imageArea, CellRect(column: 0, row: 0, width: 25, height: 8))
        let viewport = try XCTUnwrap(state.viewport)
        XCTAssertEqual(viewport.columns, 25, "the view is fitted to the smaller area")
        XCTAssertTrue(Chrome.statusLine(state, width: 200).plainText.contains("picture limited to 100x64 by the terminal"))

        let layer = ImageLayer(renderer: .sixel, cellPixelWidth: 4, cellPixelHeight: 8)
        var sizes = try rasterSizes(in: layer.bytes(for: state))
        XCTAssertLessThanOrEqual(sizes.map(\.width).max() ?? .max, 100)
        XCTAssertEqual(sizes.map(\.height).reduce(0, +), 64, "the bands together are the whole allowed height")
        _ = state.apply(.resize(TerminalSize(columns: 70, rows: 30, cellPixelWidth: 4, cellPixelHeight: 8,
                                             pictureLimit: PixelSize(width: 100, height: 64))))
        layer.invalidate()
        sizes = try rasterSizes(in: layer.bytes(for: state))
        XCTAssertLessThanOrEqual(sizes.map(\.width).max() ?? .max, 100, "after a resize too")
        XCTAssertLessThanOrEqual(sizes.map(\.height).reduce(0, +), 64)

        let unlimited = F.loadedState(terminal: TerminalSize(columns: 60, rows: 20, cellPixelWidth: 4, cellPixelHeight: 8))
        XCTAssertFalse(Chrome.statusLine(unlimited, width: 200).plainText.contains("picture limited"))
    }

    /// The raster attributes (`" 1 ; 1 ; W ; H`) of each sixel image in `bytes`.
    private func rasterSizes(in bytes: [UInt8]) throws -> [PixelSize] {
        let text = String(decoding: bytes, as: UTF8.self)
        let images = text.components(separatedBy: "q\"").dropFirst()
        XCTAssertFalse(images.isEmpty, "no sixel image in the frame")
        return try images.map { image in
            let fields = image.prefix { "0123456789;".contains($0) }.split(separator: ";").compactMap { Int($0) }
            XCTAssertEqual(fields.count, 4, String(image.prefix(20)))
            return PixelSize(width: try XCTUnwrap(fields.dropFirst(2).first), height: try XCTUnwrap(fields.last))
        }
    }
}

/// What `samterm inspect --terminal` prints from the terminal's answers.
final class TerminalProbeTests: XCTestCase {
    func testTheReportNamesTheAnswersAndTheRendererChosen() {
        let xterm = Array("\u{1b}[6;20;10t\u{1b}[?2;0;1000;1000S\u{1b}[?1;0;1024S\u{1b}[?63;1;2;4c".utf8)
        let report = TerminalProbe.describe(replies: xterm, environment: ["TERM": "xterm-256color"], terminfoColors: 256,
                                            terminfoHasRGB: false, kernelCellSize: nil)
        for line in ["TERM              xterm-256color", "TMUX              (unset)", "DA1               63;1;2;4 (4: sixel)",
                     "sixel limit       1000x1000 (XTSMGRAPHICS)", "colour registers  1024",
                     "cell size         10x20 pixels (ESC [ 16 t)", "replies           ESC[6;20;10tESC[?2;0;1000;1000S",
                     "renderer          sixel"] {
            XCTAssertTrue(report.contains(line), "\(line) in\n\(report)")
        }
        let tmux = TerminalProbe.describe(replies: Array("\u{1b}[?1;2c".utf8), environment: ["TMUX": "/tmp/tmux-0/default,1,0",
                                          "COLORTERM": "truecolor"], terminfoColors: 256, terminfoHasRGB: false,
                                          kernelCellSize: (9, 18))
        for line in ["DA1               1;2 (no 4: no sixel)", "sixel limit       no answer, no sixel", "cell size         9x18 pixels (TIOCGWINSZ)",
                     "renderer          truecolor", "TMUX              /tmp/tmux-0/default,1,0"] {
            XCTAssertTrue(tmux.contains(line), "\(line) in\n\(tmux)")
        }
        let silent = TerminalProbe.describe(replies: Array("\u{1b}[?62;4c".utf8), environment: [:], terminfoColors: -1,
                                            terminfoHasRGB: false, kernelCellSize: nil)
        XCTAssertTrue(silent.contains("no XTSMGRAPHICS answer: 1000x1000 assumed"), silent)
        XCTAssertTrue(silent.contains("renderer          mono: sixel needs the cell size"), silent)
        XCTAssertTrue(TerminalProbe.describe(replies: [], environment: [:], terminfoColors: 8, terminfoHasRGB: false,
                                             kernelCellSize: nil).contains("replies           (none within a second)"))
    }
}
