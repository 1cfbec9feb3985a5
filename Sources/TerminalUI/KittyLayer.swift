// What the kitty renderer sends when: the image once per view, the masks when they change, the
// prompt marks when they change, and for a cursor move only a new placement of the crosshair.
import Segmentation

/// Four stacked images over the image area, each under its own id: the view's image (z 0), the
/// masks (z 1), the prompt marks (z 2) and the crosshair (z 3). Masks and marks are apart so that
/// a click's mark does not re-send the masks, nor a new mask the marks. Re-sending an id replaces
/// the image and drops its placements, so each of the two alternates between two ids: the new one
/// is placed before the old one is deleted, and no frame shows the image without its masks.
final class KittyLayer {
    enum ID {
        static let base: UInt32 = 0x53_41_4D_01
        static let overlays: [UInt32] = [0x53_41_4D_02, 0x53_41_4D_03]
        static let crosshair: UInt32 = 0x53_41_4D_04
        static let marks: [UInt32] = [0x53_41_4D_05, 0x53_41_4D_06]
        /// The view's picture as a virtual placement: an id placeholder cells can name
        /// (KittyPlaceholders.isNameable).
        static let virtualBase: UInt32 = 0x53_00_00_A5
        static let all = [base, virtualBase] + overlays + marks + [crosshair]
        /// Every image has one placement, under this id: placing it again moves it.
        static let placement: UInt32 = 1
    }

    let cellWidth: Int
    let cellHeight: Int
    let transport: KittyTransport

    private var shownBase: BaseKey?
    /// Where placeholder cells were written, to blank them when the picture goes.
    private var placeholderArea: (origin: CellPosition, columns: Int, rows: Int)?
    private var shownOverlay: (signature: OverlaySignature, id: UInt32?)?
    private var shownMarks: (signature: MarksSignature, id: UInt32?)?
    private var crosshairSent = false
    private var shownCrosshair: CrosshairPlacement??
    /// Images may be left from before a clear or an invalidation: delete them first.
    private var needsCleanup = false

    struct BaseKey: Equatable {
        var imageIndex: Int
        var width: Int
        var height: Int
        var geometry: RasterGeometry
        var origin: CellPosition
        var columns: Int
        var rows: Int
    }

    private struct OverlaySignature: Equatable {
        var base: BaseKey
        var masks: [OverlayScene.MaskLayerIdentity]
        var outline: Bool
    }

    private struct MarksSignature: Equatable {
        var base: BaseKey
        var points: [PromptPoint]
        var box: PromptBox?
        var pendingBox: PromptBox?
    }

    /// Where the crosshair image goes: a cell of the screen, an offset inside it, and the part of
    /// the image that lies inside the image area.
    struct CrosshairPlacement: Equatable {
        var cell: CellPosition
        var offsetX: Int
        var offsetY: Int
        var crop: (x: Int, y: Int, width: Int, height: Int)
        var cropped: Bool

        static func == (a: Self, b: Self) -> Bool {
            a.cell == b.cell && a.offsetX == b.offsetX && a.offsetY == b.offsetY && a.crop == b.crop && a.cropped == b.cropped
        }
    }

    init(cellWidth: Int, cellHeight: Int, transport: KittyTransport = .direct) {
        self.cellWidth = cellWidth
        self.cellHeight = cellHeight
        self.transport = transport
    }

    /// The terminal may have dropped or kept any of the images (a clear, text drawn over the
    /// area): delete what is left and send everything again.
    func invalidate() {
        shownBase = nil
        shownOverlay = nil
        shownMarks = nil
        crosshairSent = false
        shownCrosshair = nil
        needsCleanup = true
    }

    /// Deletes every image samterm placed (the view is covered, or samterm is leaving).
    func hide() -> [UInt8] {
        let shown = shownBase != nil || crosshairSent || needsCleanup
        invalidate()
        needsCleanup = false
        return shown ? Self.cleanup(transport) + erasePlaceholders() : []
    }

    private func erasePlaceholders() -> [UInt8] {
        defer { placeholderArea = nil }
        return placeholderArea.map { KittyPlaceholders.erase(origin: $0.origin, columns: $0.columns, rows: $0.rows) } ?? []
    }

    /// Keys that place a picture at `cell` of the screen, and the cell the cursor must be at:
    /// with placeholders, relative to the view's virtual placement (whose top-left cell is
    /// `origin`) and with no cursor.
    private func position(_ cell: CellPosition, origin: CellPosition) -> (keys: String, cell: CellPosition?) {
        guard transport.placesRelatively else { return ("", cell) }
        return (",P=\(ID.virtualBase),Q=\(ID.placement),H=\(cell.column - origin.column),V=\(cell.row - origin.row)", nil)
    }

    /// The deletions of all of samterm's images, with their data.
    static func cleanup(_ transport: KittyTransport) -> [UInt8] {
        ID.all.flatMap { transport.write(KittyGraphics.delete(id: $0)) }
    }

    /// The bytes that bring the area (cells at `origin`, `columns` x `rows`) up to date.
    /// `sampled` gives the view's image at screen pixels (the caller keeps it per view).
    func bytes(scene: OverlayScene, image: RGBImage, imageIndex: Int, geometry: RasterGeometry, origin: CellPosition,
               columns: Int, rows: Int, sampled: () -> Raster) throws -> [UInt8] {
        var out: [UInt8] = []
        if needsCleanup {
            out += Self.cleanup(transport) + erasePlaceholders()
            needsCleanup = false
        }
        let key = BaseKey(imageIndex: imageIndex, width: image.width, height: image.height, geometry: geometry, origin: origin,
                          columns: columns, rows: rows)
        let size = "c=\(columns),r=\(rows)"
        if key != shownBase {
            let png = try KittyPictures.base(sampled())
            if transport.placesRelatively {
                // The children of the old virtual placement went with it.
                out += erasePlaceholders()
                out += transport.write(KittyGraphics.transmit(keys: "a=T,f=100,i=\(ID.virtualBase),p=\(ID.placement),U=1,\(size)", data: png))
                out += KittyPlaceholders.cells(id: ID.virtualBase, origin: origin, columns: columns, rows: rows)
                placeholderArea = (origin, columns, rows)
                shownCrosshair = nil
            } else {
                out += transport.write(KittyGraphics.transmit(keys: "a=T,f=100,i=\(ID.base),p=\(ID.placement),z=0,C=1,\(size)", data: png),
                                       at: origin)
            }
            shownBase = key
        }

        let signature = OverlaySignature(base: key, masks: scene.maskIdentities, outline: scene.outline)
        if signature != shownOverlay?.signature {
            // Where the screen is finer than the image, the mask holds no more detail than a
            // coarser grid: draw the masks at half the pixels each way and let kitty scale them
            // to their cells (a quarter of the bytes for a speckled mask).
            let factor = Self.overlayFactor(geometry, cellWidth: cellWidth, cellHeight: cellHeight)
            let coarse = RasterGeometry(width: geometry.width / factor, height: geometry.height / factor, originX: geometry.originX,
                                        originY: geometry.originY, stepX: geometry.stepX * Double(factor),
                                        stepY: geometry.stepY * Double(factor))
            let canvas = KittyPictures.masks(scene, image: image, geometry: coarse, cellWidth: cellWidth / factor)
            let id = try send(canvas, cellWidth: cellWidth / factor, cellHeight: cellHeight / factor, replacing: shownOverlay?.id ?? nil,
                              ids: ID.overlays, z: 1, origin: origin, into: &out)
            shownOverlay = (signature, id)
        }
        let marks = MarksSignature(base: key, points: scene.points, box: scene.box, pendingBox: scene.pendingBox)
        if marks != shownMarks?.signature {
            let canvas = KittyPictures.marks(scene, geometry: geometry, cellHeight: cellHeight)
            let id = try send(canvas, cellWidth: cellWidth, cellHeight: cellHeight, replacing: shownMarks?.id ?? nil,
                              ids: ID.marks, z: 2, origin: origin, into: &out)
            shownMarks = (marks, id)
        }

        if !crosshairSent {
            let png = try KittyPictures.crosshair(cellHeight: cellHeight).png(level: KittyPictures.compressionLevel)
            out += transport.write(KittyGraphics.transmit(keys: "a=t,f=100,i=\(ID.crosshair)", data: png))
            crosshairSent = true
        }
        let placement = scene.cursor.flatMap { crosshairPlacement($0, geometry: geometry, origin: origin) }
        if shownCrosshair != .some(placement) {
            if let placement {
                let at = position(placement.cell, origin: origin)
                var keys = "a=p,i=\(ID.crosshair),p=\(ID.placement),z=3,C=1,q=2" + at.keys
                if placement.offsetX > 0 { keys += ",X=\(placement.offsetX)" }
                if placement.offsetY > 0 { keys += ",Y=\(placement.offsetY)" }
                if placement.cropped {
                    keys += ",x=\(placement.crop.x),y=\(placement.crop.y),w=\(placement.crop.width),h=\(placement.crop.height)"
                }
                out += transport.write(KittyGraphics.command(keys), at: at.cell)
            } else if shownCrosshair != nil {
                out += transport.write(KittyGraphics.deletePlacement(id: ID.crosshair, placement: ID.placement))
            }
            shownCrosshair = .some(placement)
        }
        return out
    }

    /// Sends `canvas` cut to the cells it draws in, under the one of `ids` that `previous` is not,
    /// then deletes `previous`; returns the id shown (nil when nothing is drawn).
    private func send(_ canvas: IndexedCanvas, cellWidth: Int, cellHeight: Int, replacing previous: UInt32?, ids: [UInt32], z: Int,
                      origin: CellPosition, into out: inout [UInt8]) throws -> UInt32? {
        var id: UInt32?
        // Only the cells around what is drawn: deflate needs about a byte per 250 transparent pixels.
        if let cells = canvas.drawnCells(cellWidth: cellWidth, cellHeight: cellHeight) {
            let next = previous == ids[0] ? ids[1] : ids[0]
            let piece = canvas.cropped(to: cells, cellWidth: cellWidth, cellHeight: cellHeight)
            let at = position(CellPosition(column: origin.column + cells.column, row: origin.row + cells.row), origin: origin)
            out += transport.write(KittyGraphics.transmit(keys: "a=T,f=100,i=\(next),p=\(ID.placement),z=\(z),C=1,c=\(cells.width),r=\(cells.height)" + at.keys,
                                                          data: try piece.png(level: KittyPictures.overlayCompressionLevel)),
                                   at: at.cell)
            id = next
        }
        if let previous { out += transport.write(KittyGraphics.delete(id: previous)) }
        return id
    }

    /// 2 when two screen pixels each way show at most one image pixel (and the cell divides
    /// evenly), else 1.
    static func overlayFactor(_ geometry: RasterGeometry, cellWidth: Int, cellHeight: Int) -> Int {
        let fine = geometry.stepX <= 0.5 && geometry.stepY <= 0.5
        return fine && cellWidth % 2 == 0 && cellHeight % 2 == 0 && cellWidth >= 8 ? 2 : 1
    }

    /// The crosshair centred on the cursor's pixel, cut to the area; nil when none of it is inside.
    func crosshairPlacement(_ cursor: PixelPoint, geometry: RasterGeometry, origin: CellPosition) -> CrosshairPlacement? {
        let reach = PixelMarks.crosshairReach(markSize: KittyPictures.markSize(cellHeight: cellHeight))
        let side = 2 * reach + 1
        let centre = PixelMarks.position(cursor, geometry: geometry)
        let left = centre.x - reach, top = centre.y - reach
        let cropX = max(0, -left), cropY = max(0, -top)
        let cropRight = min(side, geometry.width - left), cropBottom = min(side, geometry.height - top)
        guard cropRight > cropX, cropBottom > cropY else { return nil }
        let x = left + cropX, y = top + cropY
        return CrosshairPlacement(cell: CellPosition(column: origin.column + x / cellWidth, row: origin.row + y / cellHeight),
                                  offsetX: x % cellWidth, offsetY: y % cellHeight,
                                  crop: (cropX, cropY, cropRight - cropX, cropBottom - cropY),
                                  cropped: cropX > 0 || cropY > 0 || cropRight < side || cropBottom < side)
    }
}
