// Colours and marks: panel swatches in the terminal's best depth, the marks' colours reserved
// in a sixel frame's palette, rims that contrast with the picture, a point shown inside the
// crosshair, and only the selected object shown on request.
import XCTest
import Segmentation
@testable import TerminalUI

final class MarksAndSwatchesTests: XCTestCase {
    typealias F = EditorFixtures

    func testSwatchesTakeTheTerminalsBestDepth() {
        let blue = ObjectPalette.color(at: 1), amber = ObjectPalette.color(at: 2)
        XCTAssertEqual(SwatchInk.best(for: blue, depth: .truecolor, cursesColors: 8), .direct(blue))
        // 256 colours: the nearest of the palette's 240 (cube and greys), not a basic colour.
        let ink = SwatchInk.best(for: blue, depth: .palette256, cursesColors: 8)
        func distance(_ index: Int) -> Int {
            let c = ColorQuantizer.color(ofIndex: index)
            return [Int(c.red) - Int(blue.red), Int(c.green) - Int(blue.green), Int(c.blue) - Int(blue.blue)].map { $0 * $0 }.reduce(0, +)
        }
        let nearest = (16...255).min { distance($0) < distance($1) }!
        XCTAssertEqual(ink, .palette(nearest))
        XCTAssertEqual(SwatchInk.best(for: blue, depth: .monochrome, cursesColors: 256), .palette(nearest), "curses' 256 colours")
        XCTAssertEqual(SwatchInk.curses(for: blue, depth: .palette256, cursesColors: 8), .basic(4),
                       "curses with 8 colours draws the nearest basic one, written over with the 256-colour ink")
        XCTAssertEqual(SwatchInk.best(for: blue, depth: .monochrome, cursesColors: 8), .basic(4), "blue, not cyan")
        XCTAssertEqual(SwatchInk.nearestBasic(amber), 3)
        let bytes = String(decoding: SwatchInk.overdraw([(row: 2, column: 97, glyph: "█", ink: ink)]), as: UTF8.self)
        XCTAssertEqual(bytes, "\u{1b}7\u{1b}[3;98H\u{1b}[0m\u{1b}[38;5;\(nearest)m█\u{1b}[0m\u{1b}8")
    }

    /// A green and magenta photo close to the marks' colours, a foreground and a background point.
    private func markedState() throws -> (EditorState, EditorObject) {
        var state = F.loadedState()
        var pixels: [UInt8] = []
        for y in 0..<40 {
            for x in 0..<80 { pixels += x < 40 ? [UInt8(10 + y % 3), 225, 8] : [250, UInt8(10 + x % 4), 245] }
        }
        state.document.image = RGBImage(width: 80, height: 40, pixels: pixels)
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: first.id, result: F.result(inside: { _, _ in false })))
        F.press(Array(repeating: .right, count: 8) + [.character("x")], on: &state)
        return (state, try XCTUnwrap(state.currentObject))
    }

    func testASixelFrameReservesTheMarksColours() throws {
        let (state, _) = try markedState()
        let image = try XCTUnwrap(state.document.image), view = try XCTUnwrap(state.viewport)
        let scene = OverlayScene(state: state)
        let base = SixelRenderer.base(image: image, viewport: view, scene: scene, cellWidth: 8, cellHeight: 16)
        var frame = base
        SixelRenderer.drawMarks(scene, viewport: view, cellWidth: 8, cellHeight: 16, into: &frame)
        let quantized = SixelPalette.quantize(frame.pixels, maxColors: 64, reserved: EditorColors.reservedInSixel)
        let palette = (0..<quantized.colorCount).map {
            RGBColor(quantized.palette[3 * $0], quantized.palette[3 * $0 + 1], quantized.palette[3 * $0 + 2])
        }
        let reservedIndices = Set(EditorColors.reservedInSixel.map { palette.firstIndex(of: $0) })
        XCTAssertFalse(reservedIndices.contains(nil), "every mark colour has its entry: \(palette)")
        var markPixels = 0
        for pixel in 0..<(frame.width * frame.height) {
            let color = RGBColor(frame.pixels[3 * pixel], frame.pixels[3 * pixel + 1], frame.pixels[3 * pixel + 2])
            let isMark = EditorColors.reservedInSixel.contains(color)
            let index = Int(quantized.indices[pixel])
            if isMark {
                markPixels += 1
                XCTAssertEqual(palette[index], color, "a mark keeps its exact colour")
            } else {
                XCTAssertFalse(reservedIndices.contains(index), "the image's pixel \(pixel) \(color) took a mark's colour")
            }
        }
        XCTAssertGreaterThan(markPixels, 50)
        for (index, entry) in palette.enumerated() where !reservedIndices.contains(index) {
            for mark in EditorColors.reservedInSixel {
                let d = [Int(entry.red) - Int(mark.red), Int(entry.green) - Int(mark.green), Int(entry.blue) - Int(mark.blue)]
                XCTAssertGreaterThanOrEqual(Double(d.map { $0 * $0 }.reduce(0, +)).squareRoot(), SixelPalette.reservedClearance - 1,
                                            "image colour \(entry) is too near the mark colour \(mark)")
            }
        }
        // The encoded frame defines the marks' colours (in percent): green 0;90;0, magenta 100;0;100.
        let bytes = String(decoding: try SixelRenderer.encode(frame, paletteSize: 64), as: UTF8.self)
        XCTAssertTrue(bytes.contains(";2;0;90;0"), "the green of a foreground point")
        XCTAssertTrue(bytes.contains(";2;100;0;100"), "the magenta of a background point")
    }

    func testTheBackgroundMarkIsNotTheFirstObjectsRed() {
        XCTAssertNotEqual(EditorColors.backgroundPoint, ObjectPalette.color(at: 0))
        let red = ObjectPalette.color(at: 0), mark = EditorColors.backgroundPoint
        let d = [Int(red.red) - Int(mark.red), Int(red.green) - Int(mark.green), Int(red.blue) - Int(mark.blue)]
        XCTAssertGreaterThan(d.map { $0 * $0 }.reduce(0, +), 150 * 150)
    }

    func testRimsContrastWithThePictureAndAPointShowsInsideTheCrosshair() throws {
        for (color, rim) in [(RGBColor(250, 250, 250), EditorColors.darkRim), (RGBColor(5, 5, 5), EditorColors.lightRim)] {
            var state = F.loadedState()
            state.document.image = F.solid(width: 80, height: 40, color)
            F.press([.character(" ")], on: &state)
            let raster = SixelRenderer.render(image: try XCTUnwrap(state.document.image), viewport: try XCTUnwrap(state.viewport),
                                              scene: OverlayScene(state: state), cellWidth: 8, cellHeight: 16)
            // The point at raster (164, 88), mark size 8: its "+" reaches 8 pixels, its rim 2 more.
            XCTAssertEqual(raster.color(x: 164 + 8, y: 88), EditorColors.foregroundPoint, "the whole arm shows in the crosshair's hollow")
            XCTAssertEqual(raster.color(x: 164 + 3, y: 88 + 2), rim, "the rim on \(color)")
            XCTAssertEqual(raster.color(x: 164 + 14, y: 88), EditorColors.cursor, "the crosshair's arm, beyond the point")
        }
    }

    func testTextMarksSitOnADarkenedCellOverALightPicture() throws {
        var state = F.loadedState()
        state.document.image = F.solid(width: 80, height: 40, RGBColor(240, 240, 240))
        F.press([.character(" "), .right, .right], on: &state)
        let grid = HalfBlockRenderer.render(image: try XCTUnwrap(state.document.image), viewport: try XCTUnwrap(state.viewport),
                                            scene: OverlayScene(state: state))
        XCTAssertEqual(grid[20, 5].glyph, "+")
        XCTAssertLessThan(try XCTUnwrap(grid[20, 5].background).luma, 100)
        XCTAssertEqual(GlyphOverlay.markBackground(RGBColor(20, 20, 20)), RGBColor(20, 20, 20), "a dark cell stays as it is")
    }

    func testShowOnlySelectedHidesTheOtherObjectsMasksInTheFrame() throws {
        var state = F.loadedState()
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: first.id, result: F.result(inside: { x, _ in x < 40 })))
        F.press([.character("n")], on: &state)
        let second = try XCTUnwrap(F.predictRequests(F.press(Array(repeating: .right, count: 10) + [.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: second.id, result: F.result(inside: { x, _ in x >= 40 })))
        let image = try XCTUnwrap(state.document.image), view = try XCTUnwrap(state.viewport)
        func frame() -> Raster {
            SixelRenderer.base(image: image, viewport: view, scene: OverlayScene(state: state), cellWidth: 4, cellHeight: 8)
        }
        let plain = SixelRenderer.base(image: image, viewport: view, scene: OverlayScene(), cellWidth: 4, cellHeight: 8)
        let left = (x: 20, y: 40), right = (x: 140, y: 40)
        XCTAssertNotEqual(frame().color(x: left.x, y: left.y), plain.color(x: left.x, y: left.y), "object 1 tints the left half")
        F.press([.character("w")], on: &state)
        XCTAssertEqual(frame().color(x: left.x, y: left.y), plain.color(x: left.x, y: left.y), "object 1 hidden")
        XCTAssertNotEqual(frame().color(x: right.x, y: right.y), plain.color(x: right.x, y: right.y), "the selected one shows")
        F.press([.character("w")], on: &state)
        XCTAssertNotEqual(frame().color(x: left.x, y: left.y), plain.color(x: left.x, y: left.y), "shown again")
    }
}
