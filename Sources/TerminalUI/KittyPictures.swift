// The pictures the kitty renderer sends: the view's image as a PNG, and the layers over it
// (masks and prompt marks, the crosshair) as palette PNGs whose untouched pixels are transparent.
// A palette picture that is mostly transparent deflates to a few kilobytes where RGBA would not.
import Segmentation

/// Pixels as palette indices; index 0 is transparent. The terminal blends translucent entries
/// (the mask fill) over the image below.
struct IndexedCanvas: PixelCanvas {
    private(set) var width: Int
    private(set) var height: Int
    var indices: [UInt8]
    private(set) var palette: [(color: RGBColor, alpha: UInt8)] = [(RGBColor(0, 0, 0), 0)]
    private var lookup: [PaletteEntry: UInt8] = [:]

    private struct PaletteEntry: Hashable {
        var color: RGBColor
        var alpha: UInt8
    }

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        indices = [UInt8](repeating: 0, count: width * height)
    }

    /// The palette index of a colour, added on first use; past 256 entries, the nearest one.
    mutating func index(of color: RGBColor, alpha: UInt8 = 255) -> UInt8 {
        let entry = PaletteEntry(color: color, alpha: alpha)
        if let index = lookup[entry] { return index }
        guard palette.count < 256 else {
            func distance(_ other: (color: RGBColor, alpha: UInt8)) -> Int {
                let parts = [Int(color.red) - Int(other.color.red), Int(color.green) - Int(other.color.green),
                             Int(color.blue) - Int(other.color.blue), Int(alpha) - Int(other.alpha)]
                return parts.map { $0 * $0 }.reduce(0, +)
            }
            return UInt8(palette.indices.dropFirst().min { distance(palette[$0]) < distance(palette[$1]) } ?? 0)
        }
        palette.append((color, alpha))
        lookup[entry] = UInt8(palette.count - 1)
        return UInt8(palette.count - 1)
    }

    mutating func set(x: Int, y: Int, to color: RGBColor) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        indices[y * width + x] = index(of: color)
    }

    /// Paints the pixels `where` is true with one colour.
    mutating func fill(_ selected: [Bool], color: RGBColor, alpha: UInt8) {
        let value = index(of: color, alpha: alpha)
        indices.withUnsafeMutableBufferPointer { indices in
            selected.withUnsafeBufferPointer { selected in
                for offset in selected.indices where selected[offset] { indices[offset] = value }
            }
        }
    }

    /// The whole cells (of `cellWidth` x `cellHeight` pixels) that hold every drawn pixel; nil
    /// when nothing is drawn.
    func drawnCells(cellWidth: Int, cellHeight: Int) -> CellRect? {
        var minX = width, minY = height, maxX = -1, maxY = -1
        indices.withUnsafeBufferPointer { indices in
            for y in 0..<height {
                let row = y * width
                guard let first = (0..<width).first(where: { indices[row + $0] != 0 }) else { continue }
                let last = (0..<width).last { indices[row + $0] != 0 } ?? first
                minX = min(minX, first)
                maxX = max(maxX, last)
                minY = min(minY, y)
                maxY = y
            }
        }
        guard maxX >= 0 else { return nil }
        let column = minX / cellWidth, row = minY / cellHeight
        return CellRect(column: column, row: row, width: maxX / cellWidth - column + 1, height: maxY / cellHeight - row + 1)
    }

    /// The pixels of a cell rectangle (which lies inside the canvas), palette kept.
    func cropped(to cells: CellRect, cellWidth: Int, cellHeight: Int) -> IndexedCanvas {
        var piece = self
        let x0 = cells.column * cellWidth, y0 = cells.row * cellHeight
        let pieceWidth = min(cells.width * cellWidth, width - x0), pieceHeight = min(cells.height * cellHeight, height - y0)
        piece.indices = []
        piece.indices.reserveCapacity(pieceWidth * pieceHeight)
        for y in y0..<(y0 + pieceHeight) {
            let start = y * width + x0
            piece.indices += indices[start..<(start + pieceWidth)]
        }
        piece.width = pieceWidth
        piece.height = pieceHeight
        return piece
    }

    /// A palette PNG with a tRNS chunk.
    func png(level: Int) throws -> [UInt8] {
        var writer = PNGWriter(indices: indices, palette: palette.map { ($0.color.red, $0.color.green, $0.color.blue, $0.alpha) },
                               width: width, height: height)
        writer.compressionLevel = level
        return try writer.encodePNG()
    }
}

enum KittyPictures {
    /// zlib's level for pictures on the wire: level 6 (libpng's default) was measured at about
    /// twice the time of level 3 on a 1360 x 912 photo for 3% fewer bytes.
    static let compressionLevel = 3
    /// The overlay, a palette picture, pays for a higher level: on the random-weight model's
    /// speckled masks level 6 took a click from 36 to 27 KB for 20-39 ms from prediction to frame
    /// written (level 3: 13-23 ms; 7: 25 KB, 26-44 ms; 9: 136-280 ms).
    static let overlayCompressionLevel = 6

    /// The view's image at screen pixels, as a PNG: far smaller than deflated raw RGB for a photo.
    static func base(_ raster: Raster) throws -> [UInt8] {
        var writer = PNGWriter(rgb: raster.pixels, width: raster.width, height: raster.height)
        writer.compressionLevel = compressionLevel
        return try writer.encodePNG()
    }

    /// Masks (filled at the editor's mask alpha, or outlined) at the pixels of `geometry`;
    /// `cellWidth` sets the outline's thickness.
    static func masks(_ scene: OverlayScene, image: RGBImage, geometry: RasterGeometry, cellWidth: Int) -> IndexedCanvas {
        var canvas = IndexedCanvas(width: geometry.width, height: geometry.height)
        let alpha = UInt8((ObjectPalette.maskAlpha * 255).rounded())
        for layer in scene.masks {
            let inside = Compositor.membership(of: layer.mask, imageWidth: image.width, imageHeight: image.height, geometry: geometry)
            if scene.outline || layer.outlined {
                let edges = Compositor.outline(of: inside, width: geometry.width, height: geometry.height,
                                               thickness: max(cellWidth / 5, 1))
                canvas.fill(edges, color: layer.color, alpha: 255)
            } else {
                canvas.fill(inside, color: layer.color, alpha: alpha)
            }
        }
        return canvas
    }

    /// Boxes and points at the screen pixels of `geometry`, without the crosshair (placed on its own).
    static func marks(_ scene: OverlayScene, geometry: RasterGeometry, cellHeight: Int) -> IndexedCanvas {
        var canvas = IndexedCanvas(width: geometry.width, height: geometry.height)
        PixelMarks.drawPrompts(scene, geometry: geometry, markSize: markSize(cellHeight: cellHeight), into: &canvas)
        return canvas
    }

    /// The crosshair alone, centred in a square of side 2 * reach + 1.
    static func crosshair(cellHeight: Int) -> IndexedCanvas {
        let size = markSize(cellHeight: cellHeight)
        let reach = PixelMarks.crosshairReach(markSize: size)
        var canvas = IndexedCanvas(width: 2 * reach + 1, height: 2 * reach + 1)
        PixelMarks.drawCrosshair(x: reach, y: reach, markSize: size, into: &canvas)
        return canvas
    }

    /// As the sixel renderer draws them.
    static func markSize(cellHeight: Int) -> Int { max(cellHeight / 2, 3) }
}
