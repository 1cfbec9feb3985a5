// The kitty graphics protocol's encoding, its detection from recorded replies, and tmux's passthrough.
import Foundation
import XCTest
import Segmentation
@testable import TerminalUI

final class KittyGraphicsTests: XCTestCase {
    /// The escape codes in `bytes` (`ESC _ G ... ESC \`), as (keys, payload).
    static func commands(in bytes: [UInt8]) -> [(keys: [String: String], payload: String)] {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.components(separatedBy: "\u{1b}_G").dropFirst().map { piece in
            let body = piece.components(separatedBy: "\u{1b}\\")[0]
            let parts = body.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
            var keys: [String: String] = [:]
            for pair in parts[0].split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                keys[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
            }
            return (keys, parts.count > 1 ? String(parts[1]) : "")
        }
    }

    func testATransmissionIsChunkedWithKeysOnlyOnTheFirstChunk() throws {
        var data = [UInt8](repeating: 0, count: 10_000)
        var generator = SplitMix64(seed: 7)
        for index in data.indices { data[index] = UInt8(truncatingIfNeeded: generator.next()) }
        let bytes = KittyGraphics.transmit(keys: "a=T,f=100,i=5", data: data).joined()
        let chunks = Self.commands(in: Array(bytes))
        XCTAssertEqual(chunks.count, 4, "13,336 base64 bytes: three full chunks and a rest")
        for (index, chunk) in chunks.enumerated() {
            XCTAssertLessThanOrEqual(chunk.payload.utf8.count, KittyGraphics.chunkLimit)
            XCTAssertEqual(chunk.payload.utf8.count % 4, 0, "every chunk a whole number of base64 quads")
            XCTAssertEqual(chunk.keys["m"], index == chunks.count - 1 ? "0" : "1")
            XCTAssertEqual(chunk.keys["q"], "2", "no answers on standard input")
            if index == 0 {
                XCTAssertEqual(chunk.keys["a"], "T")
                XCTAssertEqual(chunk.keys["t"], "d", "direct transmission: works over SSH")
                XCTAssertEqual(chunk.keys["i"], "5")
            } else {
                XCTAssertEqual(Set(chunk.keys.keys), ["m", "q"], "later chunks carry m and q only")
            }
        }
        XCTAssertEqual(Data(base64Encoded: chunks.map(\.payload).joined()).map(Array.init), data)
    }

    func testASmallTransmissionIsOneChunk() {
        let chunks = Self.commands(in: Array(KittyGraphics.transmit(keys: "a=t,i=9", data: [1, 2, 3]).joined()))
        XCTAssertEqual(chunks.count, 1)
        XCTAssertEqual(chunks[0].keys["m"], "0")
        XCTAssertEqual(chunks[0].payload, "AQID")
    }

    func testTheQueryComesBeforeDA1() {
        let queries = TerminalCapabilities.queries
        let kitty = queries.range(of: "\u{1b}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\u{1b}\\")
        XCTAssertNotNil(kitty)
        XCTAssertTrue(queries.hasSuffix("\u{1b}[c"), "DA1 last: its answer ends the wait")
    }

    func testRepliesFromKittyAnErrorAndNone() {
        // Recorded from kitty 0.26.5 under Xvfb: the query's answer, then DA1's.
        let kitty = Array("\u{1b}[6;20;10t\u{1b}_Gi=31;OK\u{1b}\\\u{1b}[?62;c".utf8)
        var capabilities = TerminalCapabilities(replies: kitty, environment: ["COLORTERM": "truecolor"], terminfoColors: 256,
                                                terminfoHasRGB: false)
        XCTAssertTrue(capabilities.supportsKitty)
        XCTAssertEqual(capabilities.bestRenderer, .truecolor, "without the cell size in pixels, no pictures")
        capabilities.cellPixelWidth = 10
        capabilities.cellPixelHeight = 20
        XCTAssertEqual(capabilities.bestRenderer, .kitty)
        capabilities.supportsSixel = true
        XCTAssertEqual(capabilities.bestRenderer, .kitty, "kitty before sixel")

        let refused = Array("\u{1b}_Gi=31;ENOTSUPPORTED:unsupported transmission medium\u{1b}\\\u{1b}[?62;4c".utf8)
        XCTAssertEqual(KittyGraphics.queryAnswer(in: refused), false)
        var sixel = TerminalCapabilities(replies: refused, environment: [:], terminfoColors: 256, terminfoHasRGB: false)
        XCTAssertFalse(sixel.supportsKitty)
        sixel.cellPixelWidth = 10
        sixel.cellPixelHeight = 20
        XCTAssertEqual(sixel.bestRenderer, .sixel)

        let xterm = Array("\u{1b}[?63;1;2;4;6;9;15;22c".utf8)
        XCTAssertNil(KittyGraphics.queryAnswer(in: xterm))
        XCTAssertFalse(TerminalCapabilities(replies: xterm, environment: [:], terminfoColors: 256, terminfoHasRGB: false).supportsKitty)
        XCTAssertNil(KittyGraphics.queryAnswer(in: Array("\u{1b}_Gi=31;OK".utf8)), "an unfinished answer is none")
        XCTAssertNil(KittyGraphics.queryAnswer(in: Array("\u{1b}_Gi=7;OK\u{1b}\\".utf8)), "another image's answer")
    }

    func testTheProbeSaysWhatKittyAnswered() {
        let replies = Array("\u{1b}_Gi=31;OK\u{1b}\\\u{1b}[?62;c".utf8)
        let report = TerminalProbe.describe(replies: replies, environment: ["TERM": "xterm-kitty"], terminfoColors: 256,
                                            terminfoHasRGB: true, kernelCellSize: (10, 20))
        XCTAssertTrue(report.contains("kitty graphics    i=31;OK (spoken)"), report)
        XCTAssertTrue(report.contains("renderer          kitty: the terminal speaks kitty graphics"), report)
        let none = TerminalProbe.describe(replies: Array("\u{1b}[?62;c".utf8), environment: [:], terminfoColors: 256,
                                          terminfoHasRGB: true, kernelCellSize: (10, 20))
        XCTAssertTrue(none.contains("kitty graphics    no answer (not spoken)"), none)
        let tmux = TmuxInfo(allowsPassthrough: false, clientTerminal: "xterm-kitty", paneColumn: 0, paneRow: 0)
        let inTmux = TerminalProbe.describe(replies: Array("\u{1b}[?62;c".utf8), environment: ["TMUX": "/tmp/x,1,0"],
                                            terminfoColors: 256, terminfoHasRGB: true, kernelCellSize: (10, 20), tmux: tmux)
        XCTAssertTrue(inTmux.contains("tmux set -g allow-passthrough on"), inTmux)
    }

    func testTmuxPassthroughDoublesEveryEscape() {
        let wrapped = KittyGraphics.tmuxPassthrough(KittyGraphics.command("a=p,i=3"))
        XCTAssertEqual(String(decoding: wrapped, as: UTF8.self), "\u{1b}Ptmux;\u{1b}\u{1b}_Ga=p,i=3\u{1b}\u{1b}\\\u{1b}\\")
        // In tmux the cursor move travels inside, shifted by the pane's place.
        let placed = KittyTransport.tmux(paneColumn: 5, paneRow: 2).write(KittyGraphics.command("a=p,i=3"), at: CellPosition(column: 1, row: 1))
        XCTAssertEqual(String(decoding: placed, as: UTF8.self), "\u{1b}Ptmux;\u{1b}\u{1b}[4;7H\u{1b}\u{1b}_Ga=p,i=3\u{1b}\u{1b}\\\u{1b}\\")
        let chunks = KittyGraphics.transmit(keys: "a=t,i=1", data: [UInt8](repeating: 1, count: 7000))
        let framed = KittyTransport.tmux(paneColumn: 0, paneRow: 0).write(chunks)
        XCTAssertEqual(String(decoding: framed, as: UTF8.self).components(separatedBy: "\u{1b}Ptmux;").count - 1, chunks.count,
                       "one passthrough per chunk: tmux bounds their size")
    }

    func testTmuxAnswersAndTheRendererTheyLeadTo() throws {
        let on = try XCTUnwrap(TmuxInfo.parse("1|xterm-kitty||0|0\n"))
        XCTAssertTrue(on.allowsPassthrough)
        XCTAssertTrue(on.outerSpeaksKitty)
        XCTAssertEqual(on.renderer(fallback: .truecolor).renderer, .kitty)
        XCTAssertNil(on.renderer(fallback: .truecolor).hint)
        let off = try XCTUnwrap(TmuxInfo.parse("0|xterm-kitty|kitty(0.26.5)|3|1"))
        XCTAssertEqual(off.renderer(fallback: .truecolor).renderer, .truecolor)
        XCTAssertEqual(off.renderer(fallback: .truecolor).hint, "pixels: tmux set -g allow-passthrough on")
        XCTAssertEqual(off.transport, .tmux(paneColumn: 3, paneRow: 1))
        let xterm = try XCTUnwrap(TmuxInfo.parse("1|xterm-256color||0|0"))
        XCTAssertEqual(xterm.renderer(fallback: .palette256).renderer, .palette256)
        XCTAssertNil(xterm.renderer(fallback: .palette256).hint, "no hint where passthrough would not bring pictures")
        XCTAssertNil(TmuxInfo.parse("no server running"))
    }

    func testTheHintIsOnTheStatusLine() {
        var state = EditorFixtures.loadedState()
        state.setup.pixelsHint = TmuxInfo.passthroughHint
        XCTAssertTrue(Chrome.statusLine(state, width: 200).plainText.contains("pixels: tmux set -g allow-passthrough on"))
    }
}
