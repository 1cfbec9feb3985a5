// kitty's Unicode placeholders inside tmux: the cells that name the view's picture, the pictures
// placed relative to it, and when samterm chooses them (the outer kitty's version, as tmux knows it).
import XCTest
@testable import TerminalUI

final class KittyPlaceholderTests: XCTestCase {
    typealias F = EditorFixtures

    func testTheDiacriticsAreTheProtocolsTable() {
        let table = KittyPlaceholders.diacritics
        XCTAssertEqual(table.count, 297)
        XCTAssertEqual(table.first?.value, 0x0305)
        XCTAssertEqual(table[1].value, 0x030D)
        XCTAssertEqual(table.last?.value, 0x1D244)
        XCTAssertEqual(Set(table).count, table.count)
        XCTAssertEqual(table.map(\.value), table.map(\.value).sorted(), "in code point order")
        XCTAssertTrue(table.allSatisfy { $0.properties.canonicalCombiningClass == .above && $0.properties.generalCategory == .nonspacingMark })
    }

    func testEachRowStartsWithItsRowColumnAndTheIdsTopByte() {
        let id = KittyLayer.ID.virtualBase
        XCTAssertTrue(KittyPlaceholders.isNameable(id))
        XCTAssertFalse(KittyPlaceholders.isNameable(KittyLayer.ID.base), "middle bytes cannot travel in a 256-colour foreground")
        let text = String(decoding: KittyPlaceholders.cells(id: id, origin: CellPosition(column: 4, row: 2), columns: 3, rows: 2), as: UTF8.self)
        let d = KittyPlaceholders.diacritics, p = "\u{10EEEE}"
        func s(_ scalars: Unicode.Scalar...) -> String { String(String.UnicodeScalarView(scalars)) }
        let expected = "\u{1b}[0;38;5;\(id & 0xFF)m"
            + "\u{1b}[3;5H" + p + s(d[0], d[0], d[Int(id >> 24)]) + p + p
            + "\u{1b}[4;5H" + p + s(d[1], d[0], d[Int(id >> 24)]) + p + p + "\u{1b}[0m"
        XCTAssertEqual(text.unicodeScalars.map(\.value), expected.unicodeScalars.map(\.value))
        XCTAssertEqual(String(decoding: KittyPlaceholders.erase(origin: CellPosition(column: 4, row: 2), columns: 3, rows: 2), as: UTF8.self),
                       "\u{1b}[0m\u{1b}[3;5H\u{1b}[3X\u{1b}[4;5H\u{1b}[3X")
    }

    func testPlaceholdersOnlyWhereTheOuterKittyHasThemAndRelativePlacements() throws {
        XCTAssertEqual(KittyPlaceholders.kittyVersion(in: "xterm-kitty kitty(0.31.2)")?.minor, 31)
        XCTAssertNil(KittyPlaceholders.kittyVersion(in: "xterm-kitty"))
        let new = try XCTUnwrap(TmuxInfo.parse("1|xterm-kitty|kitty(0.35.1)|3|1"))
        XCTAssertEqual(new.transport, .tmuxPlaceholders)
        let old = try XCTUnwrap(TmuxInfo.parse("1|xterm-kitty|kitty(0.26.5)|3|1"))
        XCTAssertEqual(old.transport, .tmux(paneColumn: 3, paneRow: 1), "Debian's kitty: direct placements at the pane's offset")
        XCTAssertEqual(try XCTUnwrap(TmuxInfo.parse("1|xterm-kitty|kitty(0.30.0)|0|0")).transport, .tmux(paneColumn: 0, paneRow: 0),
                       "0.28 has placeholders, but the overlays need 0.31's relative placements")
        XCTAssertEqual(try XCTUnwrap(TmuxInfo.parse("1|xterm-kitty||0|0")).transport, .tmux(paneColumn: 0, paneRow: 0), "no version: direct")
    }

    func testThePicturesHangOffTheVirtualPlacementWithoutCursorMoves() throws {
        var state = F.loadedState()
        let layer = ImageLayer(renderer: .kitty, cellPixelWidth: 8, cellPixelHeight: 16, kittyTransport: .tmuxPlaceholders)
        let first = try layer.bytes(for: state)
        let text = String(decoding: first, as: UTF8.self)
        let commands = KittyGraphicsTests.commands(in: first)
        let base = try XCTUnwrap(commands.first { $0.keys["i"] == "\(KittyLayer.ID.virtualBase)" })
        XCTAssertEqual(base.keys["U"], "1", "a virtual placement")
        XCTAssertNil(commands.first { $0.keys["i"] == "\(KittyLayer.ID.base)" })
        let area = state.layout.imageArea
        let viewport = try XCTUnwrap(state.viewport)
        XCTAssertEqual(base.keys["c"], "\(viewport.columns)")
        // The placeholder text is the pane's own, outside any passthrough; every graphics command inside one.
        let outside = text.components(separatedBy: "\u{1b}Ptmux;").map { $0.components(separatedBy: "\u{1b}\\\u{1b}\\").last ?? "" }.joined()
        XCTAssertEqual(outside.unicodeScalars.filter { $0 == "\u{10EEEE}" }.count, viewport.columns * viewport.rows)
        XCTAssertTrue(text.contains("\u{1b}[\(area.row + 1);\(area.column + 1)H"))
        XCTAssertFalse(text.contains("\u{1b}Ptmux;\u{1b}\u{1b}["), "no cursor move travels to the outer terminal")

        let crosshair = try XCTUnwrap(commands.first { $0.keys["a"] == "p" && $0.keys["i"] == "\(KittyLayer.ID.crosshair)" })
        XCTAssertEqual(crosshair.keys["P"], "\(KittyLayer.ID.virtualBase)")
        XCTAssertEqual(crosshair.keys["Q"], "\(KittyLayer.ID.placement)")
        XCTAssertNotNil(crosshair.keys["H"].flatMap(Int.init))
        XCTAssertNotNil(crosshair.keys["V"].flatMap(Int.init))

        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = try layer.bytes(for: state)
        _ = state.apply(.prediction(requestID: request.id, result: F.result(maskWidth: request.maskWidth, maskHeight: request.maskHeight) { x, y in
            x > request.maskWidth / 4 && y > request.maskHeight / 3
        }))
        let mask = KittyGraphicsTests.commands(in: try layer.bytes(for: state))
        let overlay = try XCTUnwrap(mask.first { $0.keys["i"] == "\(KittyLayer.ID.overlays[0])" })
        XCTAssertEqual(overlay.keys["P"], "\(KittyLayer.ID.virtualBase)")
        XCTAssertGreaterThan(Int(overlay.keys["H"] ?? "") ?? -1, 0, "the masks start right of the picture's left edge")
        XCTAssertGreaterThan(Int(overlay.keys["V"] ?? "") ?? -1, 0)

        var help = state
        F.press([.character("?")], on: &help)
        let hidden = String(decoding: try layer.bytes(for: help), as: UTF8.self)
        XCTAssertTrue(hidden.contains("\u{1b}[\(viewport.columns)X"), "the placeholder cells are blanked with the pictures")
    }
}
