// Which parts of a sixel frame changed, so a cursor move resends a few strips, not the picture.
import Foundation

enum SixelPatches {
    /// Above this share of changed cells a whole frame is cheaper than many strips.
    static let wholeFrameShare = 0.3

    /// For each cell row of the area whose pixels differ between `old` and `new`, the run of
    /// cells from the first to the last changed one (area-relative, one row tall). Both rasters
    /// cover the same area at `cellWidth` x `cellHeight` pixels per cell. nil when so much
    /// changed that the whole frame should be sent.
    static func changedStrips(from old: Raster, to new: Raster, cellWidth: Int, cellHeight: Int) -> [CellRect]? {
        guard old.width == new.width, old.height == new.height, cellWidth > 0, cellHeight > 0 else { return nil }
        let columns = new.width / cellWidth, rows = new.height / cellHeight
        var strips: [CellRect] = []
        var changedCells = 0
        old.pixels.withUnsafeBufferPointer { before in
            new.pixels.withUnsafeBufferPointer { after in
                for row in 0..<rows {
                    var first = -1, last = -1
                    for column in 0..<columns where cellDiffers(before, after, column: column, row: row, width: new.width,
                                                                 cellWidth: cellWidth, cellHeight: cellHeight) {
                        if first < 0 { first = column }
                        last = column
                        changedCells += 1
                    }
                    if first >= 0 { strips.append(CellRect(column: first, row: row, width: last - first + 1, height: 1)) }
                }
            }
        }
        if Double(changedCells) > wholeFrameShare * Double(max(columns * rows, 1)) { return nil }
        return strips
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
