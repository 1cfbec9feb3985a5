// The image area of a frame as terminal bytes, in the chosen renderer, sending only changes.
import Foundation
import Segmentation

/// Produces the bytes that bring the image area up to date with the state. The picture under
/// the marks (image and masks, resampled) is kept per zoom, pan and mask set, so moving the
/// cursor only redraws marks; text renderers then send only the cells that changed, the sixel
/// renderer sends nothing while its picture is unchanged, and the kitty renderer sends each of
/// its stacked pictures only when it changes (KittyLayer).
final class ImageLayer {
    let renderer: RendererKind
    /// Screen pixels per cell, for sixel and kitty.
    var cellPixelWidth: Int
    var cellPixelHeight: Int
    private let kitty: KittyLayer?

    private var writer: AnsiFrameWriter
    private var base: (key: BaseKey, grid: CellGrid?, raster: Raster?)?
    /// The image resampled for the current view, without masks: a new mask only re-blends.
    private var sampled: (key: SampleKey, raster: Raster)?
    private var lastSixel: SixelSignature?
    /// The sixel frame the terminal shows, to send only the bands that change.
    private var lastSixelRaster: Raster?
    /// The estimated cost of sixel images, its per-cell part measured on each whole frame.
    private var sixelCost = SixelPatches.Cost(perImage: Double(40 + 15 * ImageLayer.bandPalette))
    /// The bytes of the last whole sixel frame: bands that cost as much are sent whole instead.
    private var lastWholeBytes: Int?
    private var bandsMeasured = false
    /// The sixel frame's pieces, where each ends in the bytes, and what the terminal showed
    /// before: if the frame is cut short, the terminal shows the old picture with some pieces.
    private(set) var lastBreaks: [Int] = []
    private var lastPieces: [CellRect] = []
    private var shownBefore: Raster?
    /// Seconds the last sixel encoding took, for the frame log.
    private(set) var lastEncodeSeconds: Double?

    private struct BaseKey: Equatable {
        var imageIndex: Int
        var width: Int
        var height: Int
        var viewport: Viewport
        var masks: [OverlayScene.MaskLayerIdentity]
        var outline: Bool
        var cellPixelWidth: Int
        var cellPixelHeight: Int
    }

    private struct SampleKey: Equatable {
        var imageIndex: Int
        var width: Int
        var height: Int
        var geometry: RasterGeometry
    }

    private struct SixelSignature: Equatable {
        var base: BaseKey
        var points: [PromptPoint]
        var box: PromptBox?
        var pendingBox: PromptBox?
        var cursor: PixelPoint?
        var origin: CellPosition
    }

    /// `kittyTransport`: how kitty graphics reach the terminal (through tmux or not).
    init(renderer: RendererKind, cellPixelWidth: Int, cellPixelHeight: Int, kittyTransport: KittyTransport = .direct) {
        self.renderer = renderer
        self.cellPixelWidth = cellPixelWidth
        self.cellPixelHeight = cellPixelHeight
        writer = AnsiFrameWriter(depth: renderer.colorDepth)
        kitty = renderer == .kitty ? KittyLayer(cellWidth: cellPixelWidth, cellHeight: cellPixelHeight, transport: kittyTransport) : nil
    }

    /// The terminal was cleared or drawn over: send everything next time.
    func invalidate() {
        writer.invalidate()
        lastSixel = nil
        lastSixelRaster = nil
        kitty?.invalidate()
    }

    /// What removes the pictures samterm left in the terminal (kitty keeps images until told),
    /// for when it quits.
    func farewell() -> [UInt8] {
        kitty?.hide() ?? []
    }

    /// The last frame was cut short after `count` pieces (a newer one waited on a slow link):
    /// the terminal shows the picture before it with those pieces, which the next frame is
    /// compared with. Without that picture (a whole frame), the next frame is whole.
    func frameCut(piecesWritten count: Int) {
        guard renderer == .sixel else { return invalidate() }
        lastSixel = nil
        guard var shown = shownBefore, let new = lastSixelRaster, shown.width == new.width, shown.height == new.height else {
            return invalidate()
        }
        for piece in lastPieces.prefix(count) {
            let rowBytes = piece.width * cellPixelWidth * 3
            for y in (piece.row * cellPixelHeight)..<((piece.row + piece.height) * cellPixelHeight) {
                let start = (y * new.width + piece.column * cellPixelWidth) * 3
                shown.pixels.replaceSubrange(start..<(start + rowBytes), with: new.pixels[start..<(start + rowBytes)])
            }
        }
        lastSixelRaster = shown
    }

    /// Whether the last sixel frame made (perhaps still on its way) already shows `state`'s
    /// picture: a status line change then need not stop it.
    func showsPicture(of state: EditorState) -> Bool {
        guard renderer == .sixel, let lastSixel, Self.showsImage(state), let image = state.document.image,
              let viewport = state.viewport else { return false }
        let scene = OverlayScene(state: state)
        let area = state.layout.imageArea
        let key = BaseKey(imageIndex: state.currentImage, width: image.width, height: image.height, viewport: viewport,
                          masks: scene.maskIdentities, outline: scene.outline, cellPixelWidth: cellPixelWidth,
                          cellPixelHeight: cellPixelHeight)
        return lastSixel == SixelSignature(base: key, points: scene.points, box: scene.box, pendingBox: scene.pendingBox,
                                           cursor: scene.cursor, origin: CellPosition(column: area.column, row: area.row))
    }

    /// Whether the state shows an image at all (not while a message, the help or a dialog covers it).
    static func showsImage(_ state: EditorState) -> Bool {
        !state.layout.isTooSmall && !state.mode.coversImage && state.viewport != nil && state.document.image != nil
    }

    /// The bytes for this frame; empty when the area already shows it.
    func bytes(for state: EditorState) throws -> [UInt8] {
        lastEncodeSeconds = nil
        lastBreaks = []
        guard Self.showsImage(state), let image = state.document.image, let viewport = state.viewport else {
            // Kitty's images are drawn over text: take them away from whatever covers the view.
            return kitty?.hide() ?? []
        }
        let scene = OverlayScene(state: state)
        let key = BaseKey(imageIndex: state.currentImage, width: image.width, height: image.height, viewport: viewport,
                          masks: scene.maskIdentities, outline: scene.outline,
                          cellPixelWidth: renderer.drawsPixels ? cellPixelWidth : 0,
                          cellPixelHeight: renderer.drawsPixels ? cellPixelHeight : 0)
        let area = state.layout.imageArea
        let origin = CellPosition(column: area.column, row: area.row)
        switch renderer {
        case .truecolor, .palette256, .mono:
            var grid = baseGrid(key: key, image: image, viewport: viewport, scene: scene)
            GlyphOverlay.draw(scene, viewport: viewport, on: &grid, colored: renderer != .mono)
            return writer.render(grid, at: origin)
        case .kitty:
            let geometry = SixelRenderer.geometry(for: viewport, cellWidth: cellPixelWidth, cellHeight: cellPixelHeight)
            return try kitty?.bytes(scene: scene, image: image, imageIndex: state.currentImage, geometry: geometry, origin: origin,
                                    columns: viewport.columns, rows: viewport.rows) {
                sampledImage(state.currentImage, image: image, geometry: geometry)
            } ?? []
        case .sixel:
            let signature = SixelSignature(base: key, points: scene.points, box: scene.box, pendingBox: scene.pendingBox,
                                           cursor: scene.cursor, origin: origin)
            if signature == lastSixel { return [] }
            var raster = baseRaster(key: key, image: image, viewport: viewport, scene: scene)
            SixelRenderer.drawMarks(scene, viewport: viewport, cellWidth: cellPixelWidth, cellHeight: cellPixelHeight, into: &raster)
            let started = ProcessInfo.processInfo.systemUptime
            let columns = raster.width / cellPixelWidth, rows = raster.height / cellPixelHeight
            var pieces: [CellRect]
            var whole = false
            if let previous = lastSixelRaster, lastSixel?.origin == origin,
               let bands = SixelPatches.changedBands(from: previous, to: raster, cellWidth: cellPixelWidth,
                                                     cellHeight: cellPixelHeight, cost: sixelCost) {
                // A band of a quarter of the view or more is split, to encode on several cores and
                // so that a slow link can stop a frame that is out of date after a short piece.
                let quarter = max(columns * rows / 4, 1)
                pieces = bands.flatMap { SixelPatches.split($0, count: $0.width * $0.height / quarter + 1) }
            } else {
                pieces = SixelPatches.bands(columns: columns, rows: rows, count: max(Self.encoders, 4))
                whole = true
            }
            func encode(_ pieces: [CellRect], paletteSize: Int) throws -> [[UInt8]] {
                try SixelRenderer.encodeSharingPalette(pieces.map {
                    SixelPatches.crop(raster, to: $0, cellWidth: cellPixelWidth, cellHeight: cellPixelHeight)
                }, paletteSize: paletteSize)
            }
            var encoded = try encode(pieces, paletteSize: whole ? Self.wholePalette : Self.bandPalette)
            // The estimate can be wrong (a speckled mask's bands cost more per cell than the
            // photo's average): bands never cost more than the last whole frame did.
            if !whole, let lastWholeBytes, encoded.reduce(0, { $0 + $1.count }) >= lastWholeBytes {
                pieces = SixelPatches.bands(columns: columns, rows: rows, count: max(Self.encoders, 4))
                encoded = try encode(pieces, paletteSize: Self.wholePalette)
                whole = true
            }
            var out: [UInt8] = []
            for (piece, bytes) in zip(pieces, encoded) {
                out += Self.moveTo(row: origin.row + piece.row, column: origin.column + piece.column)
                out += bytes
                lastBreaks.append(out.count)
            }
            lastPieces = pieces
            shownBefore = lastSixel?.origin == origin ? lastSixelRaster : nil
            lastEncodeSeconds = ProcessInfo.processInfo.systemUptime - started
            // What this picture's pixels cost, for the next choice between bands and a whole frame.
            let total = encoded.reduce(0) { $0 + $1.count }
            if whole, columns * rows > 0 {
                sixelCost.perWholeCell = max(Double(total) - sixelCost.perWholeImage * Double(encoded.count), 1) / Double(columns * rows)
                // Until bands were measured, a band's cell costs a third more than the average one.
                if !bandsMeasured { sixelCost.perCell = sixelCost.perWholeCell * 4 / 3 }
                lastWholeBytes = total
            } else if !whole {
                let cells = pieces.reduce(0) { $0 + $1.width * $1.height }
                if cells > 0 {
                    sixelCost.perCell = max(Double(total) - sixelCost.perImage * Double(encoded.count), 1) / Double(cells)
                    bandsMeasured = true
                }
            }
            lastSixel = signature
            lastSixelRaster = raster
            return out
        }
    }

    /// Pieces of a full sixel frame encoded side by side: libsixel's encoder is single-threaded
    /// and takes most of a frame's time.
    private static let encoders = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4))

    /// Colours of a band's palette: in a narrow band every colour costs its own pass over each
    /// sixel row, so fewer colours save bytes there.
    static let bandPalette = 48

    /// Colours of a whole frame's palette (SixelRenderer.encode says why 128).
    static let wholePalette = 128

    private static func moveTo(row: Int, column: Int) -> [UInt8] {
        Array("\u{1b}[\(row + 1);\(column + 1)H".utf8)
    }

    private func baseGrid(key: BaseKey, image: RGBImage, viewport: Viewport, scene: OverlayScene) -> CellGrid {
        if let base, base.key == key, let grid = base.grid { return grid }
        let geometry = renderer == .mono ? MonoRenderer.geometry(for: viewport) : HalfBlockRenderer.geometry(for: viewport)
        let sampled = sampledImage(key.imageIndex, image: image, geometry: geometry)
        let grid = renderer == .mono
            ? MonoRenderer.base(image: image, viewport: viewport, scene: scene, sampled: sampled)
            : HalfBlockRenderer.base(image: image, viewport: viewport, scene: scene, sampled: sampled)
        base = (key, grid, nil)
        return grid
    }

    private func baseRaster(key: BaseKey, image: RGBImage, viewport: Viewport, scene: OverlayScene) -> Raster {
        if let base, base.key == key, let raster = base.raster { return raster }
        let geometry = SixelRenderer.geometry(for: viewport, cellWidth: cellPixelWidth, cellHeight: cellPixelHeight)
        let raster = SixelRenderer.base(image: image, viewport: viewport, scene: scene,
                                        cellWidth: cellPixelWidth, cellHeight: cellPixelHeight,
                                        sampled: sampledImage(key.imageIndex, image: image, geometry: geometry))
        base = (key, nil, raster)
        return raster
    }

    private func sampledImage(_ index: Int, image: RGBImage, geometry: RasterGeometry) -> Raster {
        let key = SampleKey(imageIndex: index, width: image.width, height: image.height, geometry: geometry)
        if let sampled, sampled.key == key { return sampled.raster }
        let raster = Compositor.sample(image: image, geometry: geometry)
        sampled = (key, raster)
        return raster
    }
}
