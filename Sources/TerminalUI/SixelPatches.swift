// Which parts of a sixel frame changed, so a click or a cursor move resends a few bands of cell
// rows, not the picture.
import Foundation

enum SixelPatches {
    /// What a sixel image costs, to choose between bands and a whole frame before encoding.
    /// Bands and whole frames are priced apart: a band has a smaller palette, but its cells cost
    /// more than the picture's average (a mask's tint and outline add colours to every sixel row).
    struct Cost: Equatable {
        /// Header and palette of a band: `ImageLayer.bandPalette` colours of about 15 bytes each.
        var perImage: Double = 1_000
        /// Pixel data per cell of a band, measured on the last bands (`ImageLayer`); until then a
        /// third more than a whole frame's.
        var perCell: Double = 53
        /// Header and palette of a whole frame's piece: up to 128 colours.
        var perWholeImage: Double = 2_200
        /// Pixel data per cell of a whole frame, measured on the last one.
        var perWholeCell: Double = 40

        func of(_ rect: CellRect) -> Double { perImage + perCell * Double(rect.width * rect.height) }

        /// A whole frame sent as `pieces` bands.
        func whole(columns: Int, rows: Int, pieces: Int) -> Double {
            perWholeImage * Double(pieces) + perWholeCell * Double(columns * rows)
        }
    }

    /// For each cell row of the area whose pixels differ between `old` and `new`, the run of
    /// cells from the first to the last changed one (area-relative, one row tall). Both rasters
    /// cover the same area at `cellWidth` x `cellHeight` pixels per cell; nil when they do not.
    static func changedStrips(from old: Raster, to new: Raster, cellWidth: Int, cellHeight: Int) -> [CellRect]? {
        guard old.width == new.width, old.height == new.height, cellWidth > 0, cellHeight > 0 else { return nil }
        let columns = new.width / cellWidth, rows = new.height / cellHeight
        var strips: [CellRect] = []
        old.pixels.withUnsafeBufferPointer { before in
            new.pixels.withUnsafeBufferPointer { after in
                for row in 0..<rows {
                    var first = -1, last = -1
                    for column in 0..<columns where cellDiffers(before, after, column: column, row: row, width: new.width,
                                                                 cellWidth: cellWidth, cellHeight: cellHeight) {
                        if first < 0 { first = column }
                        last = column
                    }
                    if first >= 0 { strips.append(CellRect(column: first, row: row, width: last - first + 1, height: 1)) }
                }
            }
        }
        return strips
    }

    /// The changed rows merged into bands (each one sixel image covering a run of rows and the
    /// union of their changed columns), chosen to cost the fewest estimated bytes: every image
    /// pays for its palette, every cell in a band for its pixels, changed or not. nil when a
    /// whole frame is estimated to cost no more.
    static func changedBands(from old: Raster, to new: Raster, cellWidth: Int, cellHeight: Int, cost: Cost) -> [CellRect]? {
        guard let strips = changedStrips(from: old, to: new, cellWidth: cellWidth, cellHeight: cellHeight) else { return nil }
        let bands = merge(strips, cost: cost)
        let estimate = bands.reduce(0) { $0 + cost.of($1) }
        // Against a whole frame in one image: a band as large is no cheaper, and the whole frame
        // is encoded on several cores.
        let whole = cost.whole(columns: new.width / cellWidth, rows: new.height / cellHeight, pieces: 1)
        return estimate < whole ? bands : nil
    }

    /// The cheapest partition of the strips (top to bottom, one per row) into runs, each sent as
    /// its bounding rectangle: dynamic programming over where each band starts.
    static func merge(_ strips: [CellRect], cost: Cost) -> [CellRect] {
        guard !strips.isEmpty else { return [] }
        var best = [Double](repeating: 0, count: strips.count + 1)
        var start = [Int](repeating: 0, count: strips.count + 1)
        for end in 1...strips.count {
            best[end] = .infinity
            var left = Int.max, right = Int.min
            for first in stride(from: end - 1, through: 0, by: -1) {
                left = min(left, strips[first].column)
                right = max(right, strips[first].column + strips[first].width)
                let band = CellRect(column: left, row: strips[first].row, width: right - left,
                                    height: strips[end - 1].row - strips[first].row + 1)
                let total = best[first] + cost.of(band)
                if total < best[end] { best[end] = total; start[end] = first }
            }
        }
        var bands: [CellRect] = []
        var end = strips.count
        while end > 0 {
            let first = start[end]
            let left = strips[first..<end].map(\.column).min()!
            let right = strips[first..<end].map { $0.column + $0.width }.max()!
            bands.append(CellRect(column: left, row: strips[first].row, width: right - left,
                                  height: strips[end - 1].row - strips[first].row + 1))
            end = first
        }
        return bands.reversed()
    }

    /// A band split into up to `count` bands of whole rows, so that a large one is encoded on
    /// several cores (each piece pays its own palette, so only large bands are split).
    static func split(_ band: CellRect, count: Int) -> [CellRect] {
        bands(columns: band.width, rows: band.height, count: count).map {
            CellRect(column: band.column, row: band.row + $0.row, width: band.width, height: $0.height)
        }
    }

    private static func cellDiffers(_ before: UnsafeBufferPointer<UInt8>, _ after: UnsafeBufferPointer<UInt8>,
                                    column: Int, row: Int, width: Int, cellWidth: Int, cellHeight: Int) -> Bool {
        let rowBytes = cellWidth * 3
        for y in (row * cellHeight)..<((row + 1) * cellHeight) {
            let start = (y * width + column * cellWidth) * 3
            if memcmp(before.baseAddress! + start, after.baseAddress! + start, rowBytes) != 0 { return true }
        }
        return false
    }

    /// The whole area as `count` bands of whole cell rows, top to bottom (fewer when there are
    /// fewer rows).
    static func bands(columns: Int, rows: Int, count: Int) -> [CellRect] {
        let bands = max(1, min(count, rows))
        return (0..<bands).compactMap { band in
            let first = rows * band / bands, end = rows * (band + 1) / bands
            return end > first ? CellRect(column: 0, row: first, width: columns, height: end - first) : nil
        }
    }

    /// The pixels of a cell rectangle of `raster`.
    static func crop(_ raster: Raster, to rect: CellRect, cellWidth: Int, cellHeight: Int) -> Raster {
        var piece = Raster(width: rect.width * cellWidth, height: rect.height * cellHeight)
        let rowBytes = piece.width * 3
        raster.pixels.withUnsafeBufferPointer { source in
            piece.pixels.withUnsafeMutableBufferPointer { target in
                for y in 0..<piece.height {
                    let from = ((rect.row * cellHeight + y) * raster.width + rect.column * cellWidth) * 3
                    memcpy(target.baseAddress! + y * rowBytes, source.baseAddress! + from, rowBytes)
                }
            }
        }
        return piece
    }
}
