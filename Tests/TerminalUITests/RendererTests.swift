// Golden outputs of the image renderers on tiny images.
import XCTest
import CSixel
import Segmentation
@testable import TerminalUI

final class RendererTests: XCTestCase {
    typealias F = EditorFixtures
    let red = RGBColor(255, 0, 0), green = RGBColor(0, 255, 0), blue = RGBColor(0, 0, 255)
    let black = RGBColor(0, 0, 0), white = RGBColor(255, 255, 255)

    /// 4 x 4: red | green over blue | white, with a black bottom-left corner row.
    func quadrantsImage() -> RGBImage {
        let rows: [[RGBColor]] = [[red, red, green, green], [red, red, green, green],
                                  [blue, blue, white, white], [black, black, white, white]]
        return RGBImage(width: 4, height: 4, pixels: rows.flatMap { $0.flatMap { [$0.red, $0.green, $0.blue] } })
    }

    func viewport(_ image: RGBImage, columns: Int, rows: Int) -> Viewport {
        Viewport(imageWidth: image.width, imageHeight: image.height, columns: columns, rows: rows, cellAspect: 2)
    }

    func testHalfBlocksPairRowsIntoCells() {
        let image = quadrantsImage()
        let grid = HalfBlockRenderer.render(image: image, viewport: viewport(image, columns: 4, rows: 2), scene: OverlayScene())
        XCTAssertEqual(grid.text, "    \n▀▀  ")
        XCTAssertEqual(grid[0, 0], Cell(glyph: " ", background: red), "equal halves: a space in the background colour")
        XCTAssertEqual(grid[2, 0], Cell(glyph: " ", background: green))
        XCTAssertEqual(grid[0, 1], Cell(glyph: "▀", foreground: blue, background: black))
        XCTAssertEqual(grid[3, 1], Cell(glyph: " ", background: white))
    }

    func testHalfBlocksLeaveTheLetterboxToTheTerminal() {
        // 8 x 4 pixels in 8 x 4 cells: the image takes rows 1 and 2 only.
        let image = F.solid(width: 8, height: 4, white)
        let grid = HalfBlockRenderer.render(image: image, viewport: viewport(image, columns: 8, rows: 4), scene: OverlayScene())
        XCTAssertEqual(grid.text, String(repeating: " ", count: 8) + "\n" + String(repeating: " ", count: 8) + "\n"
                       + String(repeating: " ", count: 8) + "\n" + String(repeating: " ", count: 8))
        XCTAssertEqual(grid[0, 0], Cell.blank)
        XCTAssertEqual(grid[0, 1], Cell(glyph: " ", background: white))
        XCTAssertEqual(grid[7, 2], Cell(glyph: " ", background: white))
        XCTAssertEqual(grid[0, 3], Cell.blank)
    }

    func testZoomedOutCellsAverageTheirFootprint() {
        // 8 x 8 pixels in 2 x 1 cells: each half-cell averages a 4 x 4 block.
        var pixels = [UInt8]()
        for y in 0..<8 { for x in 0..<8 { pixels += (x + y) % 2 == 0 ? [200, 100, 0] : [0, 100, 200] } }
        let image = RGBImage(width: 8, height: 8, pixels: pixels)
        let grid = HalfBlockRenderer.render(image: image, viewport: viewport(image, columns: 2, rows: 1), scene: OverlayScene())
        XCTAssertEqual(grid[0, 0], Cell(glyph: " ", background: RGBColor(100, 100, 100)))
    }

    func testTruecolorBytesAreGolden() {
        let image = quadrantsImage()
        let grid = HalfBlockRenderer.render(image: image, viewport: viewport(image, columns: 4, rows: 2), scene: OverlayScene())
        var writer = AnsiFrameWriter(depth: .truecolor)
        let bytes = String(decoding: writer.render(grid, at: CellPosition(column: 0, row: 0)), as: UTF8.self)
        XCTAssertEqual(bytes, "\u{1b}[1;1H\u{1b}[0;48;2;255;0;0m  \u{1b}[48;2;0;255;0m  "
                       + "\u{1b}[2;1H\u{1b}[38;2;0;0;255;48;2;0;0;0m▀▀\u{1b}[39;48;2;255;255;255m  \u{1b}[0m")
    }

    func testPalette256BytesAreGolden() {
        let image = quadrantsImage()
        let grid = HalfBlockRenderer.render(image: image, viewport: viewport(image, columns: 4, rows: 2), scene: OverlayScene())
        var writer = AnsiFrameWriter(depth: .palette256)
        let bytes = String(decoding: writer.render(grid, at: CellPosition(column: 2, row: 5)), as: UTF8.self)
        XCTAssertEqual(bytes, "\u{1b}[6;3H\u{1b}[0;48;5;196m  \u{1b}[48;5;46m  "
                       + "\u{1b}[7;3H\u{1b}[38;5;21;48;5;16m▀▀\u{1b}[39;48;5;231m  \u{1b}[0m")
    }

    func testOnlyChangedCellsAreSentAgain() {
        let image = quadrantsImage()
        let view = viewport(image, columns: 4, rows: 2)
        var grid = HalfBlockRenderer.render(image: image, viewport: view, scene: OverlayScene())
        var writer = AnsiFrameWriter(depth: .truecolor)
        _ = writer.render(grid, at: CellPosition(column: 0, row: 0))
        XCTAssertEqual(writer.render(grid, at: CellPosition(column: 0, row: 0)), [], "nothing changed, nothing sent")
        grid[3, 1] = Cell(glyph: "+", foreground: green, background: white, bold: true)
        XCTAssertEqual(String(decoding: writer.render(grid, at: CellPosition(column: 0, row: 0)), as: UTF8.self),
                       "\u{1b}[2;4H\u{1b}[0;1;38;2;0;255;0;48;2;255;255;255m+\u{1b}[0m")
        writer.invalidate()
        XCTAssertEqual(String(decoding: writer.render(grid, at: CellPosition(column: 0, row: 0)), as: UTF8.self).components(separatedBy: "H").count - 1,
                       2, "after invalidate every row is sent again, one cursor move per row")
    }

    func testQuantizerPicksTheNearestCubeOrGrey() {
        XCTAssertEqual(ColorQuantizer.paletteIndex(RGBColor(255, 0, 0)), 196)
        XCTAssertEqual(ColorQuantizer.paletteIndex(RGBColor(0, 0, 0)), 16)
        XCTAssertEqual(ColorQuantizer.paletteIndex(RGBColor(128, 128, 128)), 244, "grey 128 is exactly palette 244")
        XCTAssertEqual(ColorQuantizer.paletteIndex(RGBColor(100, 140, 180)), 67, "cube (95, 135, 175)")
        for index in [16, 21, 46, 67, 196, 231, 232, 244, 255] {
            XCTAssertEqual(ColorQuantizer.paletteIndex(ColorQuantizer.color(ofIndex: index)), index, "palette \(index) maps to itself")
        }
    }

    func testMaskIsBlendedAtAlpha06InTheObjectsColour() {
        let image = F.solid(width: 4, height: 4, black)
        var bits = [UInt8](repeating: 0, count: 16)
        for y in 0..<4 { bits[y * 4] = 1; bits[y * 4 + 1] = 1 }
        var scene = OverlayScene()
        let objectRed = ObjectPalette.color(at: 0)
        scene.masks = [OverlayScene.MaskLayer(mask: BinaryMask(width: 4, height: 4, bytes: bits), color: objectRed,
                                              identity: .init(objectID: 1, version: 1, candidate: 0, colorIndex: 0))]
        let grid = HalfBlockRenderer.render(image: image, viewport: viewport(image, columns: 4, rows: 2), scene: scene)
        let blended = RGBColor(UInt8((Double(objectRed.red) * 0.6).rounded()), UInt8((Double(objectRed.green) * 0.6).rounded()),
                               UInt8((Double(objectRed.blue) * 0.6).rounded()))
        XCTAssertEqual(grid[0, 0], Cell(glyph: " ", background: blended))
        XCTAssertEqual(grid[1, 1], Cell(glyph: " ", background: blended))
        XCTAssertEqual(grid[2, 0], Cell(glyph: " ", background: black))
    }

    func testOutlineModeDrawsOnlyTheMasksEdge() {
        // A 4 x 4 square inside an 8 x 8 image, seen at one raster pixel per image pixel.
        let image = F.solid(width: 8, height: 8, black)
        var bits = [UInt8](repeating: 0, count: 64)
        for y in 2..<6 { for x in 2..<6 { bits[y * 8 + x] = 1 } }
        let geometry = RasterGeometry(width: 8, height: 8, originX: 0, originY: 0, stepX: 1, stepY: 1)
        let layer = OverlayScene.MaskLayer(mask: BinaryMask(width: 8, height: 8, bytes: bits), color: white,
                                           identity: .init(objectID: 1, version: 1, candidate: 0, colorIndex: 0))
        let raster = Compositor.compose(image: image, geometry: geometry, masks: [layer], outline: true)
        let picture = (0..<8).map { y in String((0..<8).map { x in raster.color(x: x, y: y) == white ? "#" : "." }) }
        XCTAssertEqual(picture, ["........", "........", "..####..", "..#..#..", "..#..#..", "..####..", "........", "........"])
    }

    func testLowResolutionMasksAreScaledToTheImage() {
        // A 2 x 2 mask over a 4 x 4 image: its top-left bit covers the top-left 2 x 2 pixels.
        let geometry = RasterGeometry(width: 4, height: 4, originX: 0, originY: 0, stepX: 1, stepY: 1)
        let inside = Compositor.membership(of: BinaryMask(width: 2, height: 2, bytes: [1, 0, 0, 0]), imageWidth: 4, imageHeight: 4, geometry: geometry)
        XCTAssertEqual(inside, [true, true, false, false, true, true, false, false,
                                false, false, false, false, false, false, false, false])
    }

    func testMonochromeShowsShapesWithQuadrants() {
        // Left half white, right half black; then a white diagonal.
        var pixels = [UInt8]()
        for _ in 0..<4 { for x in 0..<4 { pixels += x < 2 ? [255, 255, 255] : [0, 0, 0] } }
        let halves = RGBImage(width: 4, height: 4, pixels: pixels)
        let view = Viewport(imageWidth: 4, imageHeight: 4, columns: 2, rows: 1, cellAspect: 2)
        XCTAssertEqual(MonoRenderer.render(image: halves, viewport: view, scene: OverlayScene()).text, "█ ")

        let luma = [255, 0, 0, 0,
                    0, 255, 0, 0,
                    0, 0, 255, 0,
                    0, 0, 0, 255]
        XCTAssertEqual(MonoRenderer.cells(luma: luma, width: 4, height: 4).text, "▚ \n ▚")
        XCTAssertEqual(MonoRenderer.cells(luma: [128, 128, 128, 128], width: 2, height: 2).text, "▚",
                       "mid grey dithers to a checker")
    }

    func testMonochromeInvertsTheCurrentMask() {
        let image = F.solid(width: 4, height: 4, black)
        var scene = OverlayScene()
        scene.masks = [OverlayScene.MaskLayer(mask: BinaryMask(width: 4, height: 4, bytes: [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]),
                                              color: red, identity: .init(objectID: 1, version: 1, candidate: 0, colorIndex: 0))]
        let view = Viewport(imageWidth: 4, imageHeight: 4, columns: 2, rows: 1, cellAspect: 2)
        XCTAssertEqual(MonoRenderer.render(image: image, viewport: view, scene: scene).text, "█ ")
    }

    func testPromptMarksAndCrosshairAreDrawnAtTheirCells() throws {
        var state = F.loadedState()
        // Each answer (empty masks, so only the marks show) before the keys that wait for it.
        let empty = F.result(inside: { _, _ in false })
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" "), .right, .right, .right], on: &state)).first)
        _ = state.apply(.prediction(requestID: first.id, result: empty))
        let second = try XCTUnwrap(F.predictRequests(F.press([.character("x"), .down, .down], on: &state)).first)
        let view = try XCTUnwrap(state.viewport)
        let grid = HalfBlockRenderer.render(image: try XCTUnwrap(state.document.image), viewport: view, scene: OverlayScene(state: state))
        XCTAssertEqual(grid[20, 5].glyph, "+")
        XCTAssertEqual(grid[20, 5].foreground, EditorColors.foregroundPoint)
        XCTAssertTrue(grid[20, 5].bold)
        XCTAssertEqual(grid[23, 5].glyph, "x")
        XCTAssertEqual(grid[23, 5].foreground, EditorColors.backgroundPoint)
        XCTAssertEqual(grid[23, 7].glyph, "┼")
        XCTAssertEqual([grid[22, 7].glyph, grid[24, 7].glyph, grid[23, 6].glyph, grid[23, 8].glyph], ["─", "─", "│", "│"])
        XCTAssertEqual(grid[23, 7].background, grid[23, 7].background, "marks keep the picture's colour behind them")

        _ = state.apply(.prediction(requestID: second.id, result: empty))
        F.press([.character("b"), .left, .left, .up, .character("b"), .up, .up], on: &state)
        let boxed = HalfBlockRenderer.render(image: try XCTUnwrap(state.document.image), viewport: try XCTUnwrap(state.viewport),
                                             scene: OverlayScene(state: state))
        let rows = boxed.text.split(separator: "\n")
        XCTAssertEqual(rows[6].dropFirst(21).prefix(3), "┌─┐")
        XCTAssertEqual(rows[7].dropFirst(21).prefix(3), "└─┘")
        XCTAssertEqual(boxed[22, 6].foreground, EditorColors.box)
    }

    func testMarksOnMonochromeAreBoldGlyphsWithoutColour() throws {
        var state = F.loadedState()
        F.press([.character(" ")], on: &state)
        let grid = MonoRenderer.render(image: try XCTUnwrap(state.document.image), viewport: try XCTUnwrap(state.viewport),
                                       scene: OverlayScene(state: state))
        XCTAssertEqual(grid[20, 5], Cell(glyph: "+", bold: true, reverse: true), "a point under the cursor shows reversed")
        XCTAssertNil(grid[21, 5].foreground)
    }

    func testSixelRoundTripsThroughLibsixel() throws {
        var raster = Raster(width: 12, height: 12)
        for y in 0..<12 { for x in 0..<12 { raster.set(x: x, y: y, to: (4..<8).contains(x) && (4..<8).contains(y) ? blue : red) } }
        let bytes = try SixelRenderer.encode(raster)
        XCTAssertEqual(Array(bytes.prefix(2)), [0x1b, 0x50], "starts with DCS")
        XCTAssertEqual(Array(bytes.suffix(2)), [0x1b, 0x5c], "ends with ST")
        let decoded = try SixelScreen.decode(bytes)
        XCTAssertEqual(decoded.width, 12)
        XCTAssertEqual(decoded.height, 12)
        // Sixel colour registers are percentages, and the adaptive palette is built from a
        // reduced histogram: colours come back close, not exact.
        assertClose(decoded.color(x: 0, y: 0), red)
        assertClose(decoded.color(x: 5, y: 5), blue)
        assertClose(decoded.color(x: 11, y: 11), red)
        assertClose(decoded.color(x: 4, y: 8), red)

        let fixed = try SixelScreen.decode(try SixelRenderer.encode(raster, fixedPalette: true))
        assertClose(fixed.color(x: 5, y: 5), blue)
        assertClose(fixed.color(x: 0, y: 5), red)
    }

    func testSixelPaletteKeepsFewColoursExactlyAndApproximatesMany() {
        let few: [UInt8] = [255, 0, 0, 0, 0, 255, 255, 0, 0, 10, 200, 30]
        let exact = SixelPalette.quantize(few)
        XCTAssertEqual(exact.colorCount, 3)
        for pixel in 0..<4 {
            let index = Int(exact.indices[pixel])
            XCTAssertEqual(Array(exact.palette[(3 * index)..<(3 * index + 3)]), Array(few[(3 * pixel)..<(3 * pixel + 3)]))
        }

        // A smooth 256 x 256 field of 65,536 colours: 256 boxes, each pixel within a box's reach.
        var many = [UInt8]()
        for y in 0..<256 { for x in 0..<256 { many += [UInt8(x), UInt8(y), UInt8((x + y) / 2)] } }
        let reduced = SixelPalette.quantize(many)
        XCTAssertEqual(reduced.colorCount, 256)
        XCTAssertEqual(reduced.indices.count, 256 * 256)
        var worst = 0, total = 0
        for pixel in 0..<(256 * 256) {
            let index = Int(reduced.indices[pixel])
            for channel in 0..<3 {
                let error = abs(Int(reduced.palette[3 * index + channel]) - Int(many[3 * pixel + channel]))
                worst = max(worst, error)
                total += error
            }
        }
        XCTAssertLessThan(Double(total) / Double(3 * 256 * 256), 8, "mean error per channel")
        XCTAssertLessThan(worst, 40)
    }

    func testSixelFrameCarriesMarksInPixels() throws {
        var state = F.loadedState()
        F.press([.character(" ")], on: &state)
        let view = try XCTUnwrap(state.viewport)
        let raster = SixelRenderer.render(image: try XCTUnwrap(state.document.image), viewport: view, scene: OverlayScene(state: state),
                                          cellWidth: 8, cellHeight: 16)
        XCTAssertEqual(raster.width, 40 * 8)
        XCTAssertEqual(raster.height, 10 * 16)
        // The point at image (41, 22) is raster (164, 88) at 4 raster pixels per image pixel; the
        // cursor leaves its centre free, so the green "+" shows there.
        XCTAssertEqual(raster.color(x: 164, y: 88), EditorColors.foregroundPoint)
        XCTAssertEqual(raster.color(x: 164 + 12, y: 88), EditorColors.cursor, "the crosshair's arm")
    }

    func testSixelCursorMovesResendOnlyTheChangedStrips() throws {
        var state = F.loadedState()
        let image = try XCTUnwrap(state.document.image)
        func frame() -> Raster {
            SixelRenderer.render(image: image, viewport: state.viewport!, scene: OverlayScene(state: state), cellWidth: 4, cellHeight: 8)
        }
        let before = frame()
        F.press([.right], on: &state)
        let after = frame()
        let strips = try XCTUnwrap(SixelPatches.changedStrips(from: before, to: after, cellWidth: 4, cellHeight: 8))
        // The crosshair (arm 11 px with its hollow centre, around cell (20, 5) then (21, 5)) spans rows 4...7.
        XCTAssertEqual(strips.map(\.row), [4, 5, 6, 7])
        XCTAssertTrue(strips.allSatisfy { $0.column >= 17 && $0.column + $0.width <= 25 }, "\(strips)")
        XCTAssertEqual(SixelPatches.changedStrips(from: after, to: after, cellWidth: 4, cellHeight: 8), [])

        // Patching the old frame with the strips gives the new one.
        var patched = before
        for strip in strips {
            let piece = SixelPatches.crop(after, to: strip, cellWidth: 4, cellHeight: 8)
            for y in 0..<piece.height {
                for x in 0..<piece.width {
                    patched.set(x: strip.column * 4 + x, y: strip.row * 8 + y, to: piece.color(x: x, y: y))
                }
            }
        }
        XCTAssertEqual(patched.pixels, after.pixels)

        F.press([.character("+")], on: &state)
        XCTAssertNil(SixelPatches.changedBands(from: after, to: frame(), cellWidth: 4, cellHeight: 8, cost: .init()),
                     "a zoom resends the whole frame")
    }

    func testWholeSixelFramesAreBandsOfCellRowsThatTileTheArea() throws {
        XCTAssertEqual(SixelPatches.bands(columns: 10, rows: 7, count: 2),
                       [CellRect(column: 0, row: 0, width: 10, height: 3), CellRect(column: 0, row: 3, width: 10, height: 4)])
        XCTAssertEqual(SixelPatches.bands(columns: 10, rows: 2, count: 4).map(\.height), [1, 1], "no empty band")
        XCTAssertEqual(SixelPatches.bands(columns: 10, rows: 5, count: 1), [CellRect(column: 0, row: 0, width: 10, height: 5)])

        // The layer's whole frame: each band placed at its own cell row, decoding to its part of the picture.
        let state = F.loadedState()
        let layer = ImageLayer(renderer: .sixel, cellPixelWidth: 4, cellPixelHeight: 8)
        let bytes = try layer.bytes(for: state)
        let expected = SixelRenderer.render(image: try XCTUnwrap(state.document.image), viewport: try XCTUnwrap(state.viewport),
                                            scene: OverlayScene(state: state), cellWidth: 4, cellHeight: 8)
        let text = String(decoding: bytes, as: UTF8.self)
        let pieces = text.components(separatedBy: "\u{1b}[").dropFirst()  // "ROW;COLUMNH" then the sixel image
        XCTAssertGreaterThanOrEqual(pieces.count, 1)
        var coveredRows = 0
        for piece in pieces {
            let place = try XCTUnwrap(piece.split(separator: "H", maxSplits: 1).first).split(separator: ";").compactMap { Int($0) }
            XCTAssertEqual(place.count, 2)
            XCTAssertEqual(place[0] - 1, coveredRows, "bands follow each other without gaps")
            XCTAssertEqual(place[1], 1)
            let sixel = Array(piece.utf8.drop { $0 != 0x1b })
            let decoded = try SixelScreen.decode(sixel)
            XCTAssertEqual(decoded.width, expected.width)
            for (x, y) in [(0, 0), (decoded.width / 2, decoded.height / 2), (decoded.width - 1, decoded.height - 1)] {
                assertClose(decoded.color(x: x, y: y), expected.color(x: x, y: coveredRows * 8 + y))
            }
            coveredRows += decoded.height / 8
        }
        XCTAssertEqual(coveredRows, state.layout.imageArea.height)
    }

    private func assertClose(_ actual: RGBColor, _ expected: RGBColor, file: StaticString = #filePath, line: UInt = #line) {
        let distance = max(abs(Int(actual.red) - Int(expected.red)), abs(Int(actual.green) - Int(expected.green)),
                           abs(Int(actual.blue) - Int(expected.blue)))
        XCTAssertLessThanOrEqual(distance, 10, "\(actual) is not close to \(expected)", file: file, line: line)
    }
}
