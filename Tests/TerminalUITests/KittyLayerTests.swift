// What the kitty renderer sends per action: the picture once, the overlay when masks or marks
// change, a placement for a cursor move. The 512x512 sample in a 200x60 terminal of 8x16 cells.
import Foundation
import XCTest
import Segmentation
@testable import TerminalUI

final class KittyLayerTests: XCTestCase {
    typealias F = EditorFixtures
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Resources/samples/astronaut.jpg").standardizedFileURL.path

    func astronautState() throws -> EditorState {
        let image = try RGBImage.load(path: Self.sample)
        var state = EditorState(imagePaths: [Self.sample], terminal: TerminalSize(columns: 200, rows: 60, cellPixelWidth: 8, cellPixelHeight: 16),
                                setup: EditorSetup(modelName: "test", device: "cpu", renderer: "kitty"))
        _ = state.apply(.modelLoaded(name: "test", device: "cpu"))
        _ = state.apply(.imageLoaded(index: 0, image: image))
        _ = state.apply(.imageEncoded(index: 0, seconds: 0, fromCache: false))
        _ = state.apply(.sessionLoaded(index: 0, sha256: "", outcome: .fresh))
        return state
    }

    /// A prompt key answered with a disc of radius `radius` image pixels around (cx, cy); the
    /// bytes of the frame with the mark and of the one with the mask.
    func click(_ key: Key, on state: inout EditorState, layer: ImageLayer, centre: (Double, Double), radius: Double,
               best: Int = 1) throws -> (mark: [UInt8], mask: [UInt8]) {
        let request = try XCTUnwrap(F.predictRequests(F.press([key], on: &state)).first)
        let mark = try layer.bytes(for: state)
        let scaleX = 512 / Double(request.maskWidth), scaleY = 512 / Double(request.maskHeight)
        let result = F.result(best: best, maskWidth: request.maskWidth, maskHeight: request.maskHeight) { x, y in
            let dx = (Double(x) + 0.5) * scaleX - centre.0, dy = (Double(y) + 0.5) * scaleY - centre.1
            return dx * dx + dy * dy <= radius * radius
        }
        _ = state.apply(.prediction(requestID: request.id, result: result))
        return (mark, try layer.bytes(for: state))
    }

    typealias Command = (keys: [String: String], payload: String)
    func commands(_ bytes: [UInt8]) -> [Command] { KittyGraphicsTests.commands(in: bytes) }
    /// The ids of the images whose data `bytes` send (first chunks only).
    func transmitted(_ bytes: [UInt8]) -> [UInt32] {
        commands(bytes).compactMap { command in
            guard let action = command.keys["a"], action == "T" || action == "t" else { return nil }
            return command.keys["i"].flatMap { UInt32($0) }
        }
    }
    /// The data of image `id` sent in `bytes`, all chunks joined and decoded.
    func payload(of id: UInt32, in bytes: [UInt8]) throws -> [UInt8] {
        var joined = "", collecting = false
        for command in commands(bytes) {
            if let action = command.keys["a"], action == "T" || action == "t" { collecting = command.keys["i"] == "\(id)" }
            if collecting { joined += command.payload }
            if command.keys["m"] == "0" { collecting = false }
        }
        return try XCTUnwrap(Data(base64Encoded: joined).map(Array.init))
    }

    func testTheFirstFrameSendsTheViewAsAPNGOfItsPixels() throws {
        let state = try astronautState()
        let layer = ImageLayer(renderer: .kitty, cellPixelWidth: 8, cellPixelHeight: 16)
        let first = try layer.bytes(for: state)
        XCTAssertEqual(transmitted(first), [KittyLayer.ID.base, KittyLayer.ID.crosshair], "no overlay without masks or marks")
        let png = try payload(of: KittyLayer.ID.base, in: first)
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        let decoded = try RGBImage.decode(png, source: "base")
        let viewport = try XCTUnwrap(state.viewport)
        let expected = Compositor.sample(image: try XCTUnwrap(state.document.image),
                                         geometry: SixelRenderer.geometry(for: viewport, cellWidth: 8, cellHeight: 16))
        XCTAssertEqual(decoded.width, expected.width)
        XCTAssertEqual(decoded.height, expected.height)
        XCTAssertEqual(decoded.pixels, expected.pixels, "lossless: the terminal shows the view's own pixels")
        let base = try XCTUnwrap(commands(first).first { $0.keys["i"] == "\(KittyLayer.ID.base)" })
        XCTAssertEqual(base.keys["f"], "100")
        XCTAssertEqual(base.keys["C"], "1", "the cursor stays where curses left it")
        XCTAssertEqual(base.keys["c"], "\(viewport.columns)")
        XCTAssertEqual(try layer.bytes(for: state), [], "an unchanged frame sends nothing")
        print("kitty first frame: \(first.count) B")
    }

    func testACursorMoveOnlyPlacesTheCrosshairAgain() throws {
        var state = try astronautState()
        let layer = ImageLayer(renderer: .kitty, cellPixelWidth: 8, cellPixelHeight: 16)
        _ = try layer.bytes(for: state)
        for key in [Key.right, .down, .left, .up] {
            F.press([key], on: &state)
            let bytes = try layer.bytes(for: state)
            XCTAssertLessThanOrEqual(bytes.count, 300, "a cursor move: \(bytes.count) B")
            XCTAssertEqual(transmitted(bytes), [], "no picture is sent again")
            XCTAssertEqual(commands(bytes).map { $0.keys["a"] }, ["p"])
            XCTAssertEqual(commands(bytes)[0].keys["i"], "\(KittyLayer.ID.crosshair)")
            print("kitty cursor move: \(bytes.count) B")
        }
    }

    func testAClickSendsOnlyTheOverlayAndADiscMaskCostsLessThan20KB() throws {
        var state = try astronautState()
        let layer = ImageLayer(renderer: .kitty, cellPixelWidth: 8, cellPixelHeight: 16)
        let first = try layer.bytes(for: state)
        let (mark, mask) = try click(.character(" "), on: &state, layer: layer, centre: (256, 256), radius: 120)
        XCTAssertEqual(transmitted(mark), [KittyLayer.ID.marks[0]], "the point's mark: the marks picture only")
        XCTAssertEqual(transmitted(mask), [KittyLayer.ID.overlays[0]], "the mask: the masks picture only, not the marks again")
        XCTAssertTrue(commands(mask).filter { $0.keys["a"] == "d" }.isEmpty, "no masks before: nothing to delete")
        let clickBytes = mark.count + mask.count
        XCTAssertLessThanOrEqual(clickBytes, 20_000, "a click: \(clickBytes) B")
        XCTAssertLessThan(Double(clickBytes), Double(first.count) * 0.05)

        // Only the disc's cells travel, most of them in the object's colour (its alpha is in the palette).
        let overlay = try RGBImage.decode(try payload(of: KittyLayer.ID.overlays[0], in: mask), source: "overlay")
        let color = try XCTUnwrap(state.currentObject?.color)
        let colored = stride(from: 0, to: overlay.pixels.count, by: 3).filter {
            overlay.pixels[$0] == color.red && overlay.pixels[$0 + 1] == color.green && overlay.pixels[$0 + 2] == color.blue
        }.count
        XCTAssertGreaterThan(Double(colored), 0.6 * Double(overlay.width * overlay.height), "\(overlay.width)x\(overlay.height)")
        let placed = try XCTUnwrap(commands(mask).first { $0.keys["i"] == "\(KittyLayer.ID.overlays[0])" })
        XCTAssertEqual(placed.keys["z"], "1", "above the image")
        XCTAssertEqual(Int(placed.keys["c"] ?? ""), (overlay.width + 7) / 8, "scaled to whole cells")

        F.press([.tab], on: &state)
        let switched = try layer.bytes(for: state)
        XCTAssertEqual(transmitted(switched), [KittyLayer.ID.overlays[1]], "a candidate switch: the masks picture only")
        let deletes = commands(switched).filter { $0.keys["a"] == "d" }
        XCTAssertEqual(deletes.map { $0.keys["i"] }, ["\(KittyLayer.ID.overlays[0])"], "the old masks go after the new ones are placed")
        XCTAssertLessThanOrEqual(switched.count, 20_000)
        F.press([.down, .down, .down], on: &state)
        _ = try layer.bytes(for: state)
        let refine = try click(.character("x"), on: &state, layer: layer, centre: (256, 230), radius: 110)
        XCTAssertFalse(transmitted(refine.mark + refine.mask).contains(KittyLayer.ID.base))
        print("kitty click: \(clickBytes) B (mark \(mark.count), mask \(mask.count)), candidate switch \(switched.count) B, "
              + "refining click \(refine.mark.count + refine.mask.count) B")
    }

    func testHiddenInvalidatedAndLeaving() throws {
        let state = F.loadedState()
        let layer = ImageLayer(renderer: .kitty, cellPixelWidth: 8, cellPixelHeight: 16)
        let first = try layer.bytes(for: state)
        XCTAssertFalse(first.isEmpty)
        var help = state
        F.press([.character("?")], on: &help)
        let hidden = try layer.bytes(for: help)
        XCTAssertEqual(Set(commands(hidden).compactMap { $0.keys["i"].flatMap(UInt32.init) }), Set(KittyLayer.ID.all),
                       "the help hides every picture")
        XCTAssertTrue(commands(hidden).allSatisfy { $0.keys["a"] == "d" && $0.keys["d"] == "I" })
        XCTAssertEqual(try layer.bytes(for: help), [], "nothing more while hidden")
        XCTAssertEqual(transmitted(try layer.bytes(for: state)), [KittyLayer.ID.base, KittyLayer.ID.crosshair], "shown again: sent again")

        layer.invalidate()
        let again = try layer.bytes(for: state)
        XCTAssertEqual(commands(again).prefix(KittyLayer.ID.all.count).map { $0.keys["a"] }, Array(repeating: "d", count: KittyLayer.ID.all.count),
                       "after a clear, whatever is left goes first")
        XCTAssertEqual(transmitted(again), [KittyLayer.ID.base, KittyLayer.ID.crosshair])
        XCTAssertEqual(layer.farewell(), KittyLayer.cleanup(.direct), "leaving deletes every image, as the signal path does")
        XCTAssertEqual(layer.farewell(), [], "and only once")
    }

    func testTheCrosshairIsCutAtTheAreasEdges() throws {
        let layer = KittyLayer(cellWidth: 8, cellHeight: 16)
        let geometry = RasterGeometry(width: 80, height: 64, originX: 0, originY: 0, stepX: 1, stepY: 1)
        let reach = PixelMarks.crosshairReach(markSize: 8)
        let middle = try XCTUnwrap(layer.crosshairPlacement(PixelPoint(x: 40.5, y: 30.5), geometry: geometry, origin: CellPosition(column: 2, row: 1)))
        XCTAssertFalse(middle.cropped)
        XCTAssertEqual(middle.cell, CellPosition(column: 2 + (40 - reach) / 8, row: 1 + (30 - reach) / 16))
        XCTAssertEqual(middle.offsetX, (40 - reach) % 8)
        let corner = try XCTUnwrap(layer.crosshairPlacement(PixelPoint(x: 0.5, y: 63.5), geometry: geometry, origin: CellPosition(column: 0, row: 0)))
        XCTAssertTrue(corner.cropped)
        XCTAssertEqual(corner.crop.x, reach)
        XCTAssertEqual(corner.crop.y, 0)
        XCTAssertEqual(corner.crop.height, reach + 1)
        XCTAssertEqual(corner.cell.column, 0)
        XCTAssertEqual(corner.offsetX, 0)
        XCTAssertNil(layer.crosshairPlacement(PixelPoint(x: -100, y: 10), geometry: geometry, origin: CellPosition(column: 0, row: 0)))
    }
}
