// Which part of the image shows in the image area, and how cells map to image pixels.

/// The mapping between the cells of the image area and original-image pixels. A cell covers
/// `scale` image pixels across and `scale * cellAspect` down; `originX`, `originY` is the image
/// point at the area's top-left corner (negative when the image is centred in a larger area).
public struct Viewport: Equatable, Sendable {
    public let imageWidth: Int
    public let imageHeight: Int
    public private(set) var columns: Int
    public private(set) var rows: Int
    public private(set) var cellAspect: Double
    public private(set) var scale: Double
    public private(set) var originX: Double
    public private(set) var originY: Double

    /// Zooming in stops when one image pixel is this many cells wide.
    static let maximumCellsPerPixel = 16.0

    /// The whole image, fitted to an area of `columns` x `rows` cells and centred.
    public init(imageWidth: Int, imageHeight: Int, columns: Int, rows: Int, cellAspect: Double) {
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
        self.columns = max(columns, 1)
        self.rows = max(rows, 1)
        self.cellAspect = cellAspect
        scale = 1
        originX = 0
        originY = 0
        scale = fitScale
        clampOrigin()
    }

    /// Image pixels per cell column that make the whole image fit, keeping its aspect ratio.
    public var fitScale: Double {
        max(Double(imageWidth) / Double(columns), Double(imageHeight) / (Double(rows) * cellAspect))
    }

    /// 1 when the image fits the area, larger when zoomed in.
    public var zoom: Double { fitScale / scale }

    /// The centre of the footprint of a cell given relative to the area.
    public func imagePoint(atCell cell: CellPosition) -> PixelPoint {
        PixelPoint(x: originX + (Double(cell.column) + 0.5) * scale,
                   y: originY + (Double(cell.row) + 0.5) * scale * cellAspect)
    }

    /// The area-relative cell whose footprint holds `point` (possibly outside the area).
    public func cell(containing point: PixelPoint) -> CellPosition {
        CellPosition(column: Int(((point.x - originX) / scale).rounded(.down)),
                     row: Int(((point.y - originY) / (scale * cellAspect)).rounded(.down)))
    }

    /// Whether an image point lies on the image.
    public func contains(_ point: PixelPoint) -> Bool {
        point.x >= 0 && point.y >= 0 && point.x < Double(imageWidth) && point.y < Double(imageHeight)
    }

    /// The first and last area-relative columns and rows whose footprint touches the image.
    var imageCellBounds: (firstColumn: Int, lastColumn: Int, firstRow: Int, lastRow: Int) {
        let first = cell(containing: PixelPoint(x: 0, y: 0))
        let last = cell(containing: PixelPoint(x: Double(imageWidth) - 1e-6, y: Double(imageHeight) - 1e-6))
        return (first.column, last.column, first.row, last.row)
    }

    /// The part of the area the image covers, in area-relative cells.
    public var visibleImageCells: CellRect {
        let bounds = imageCellBounds
        let firstColumn = max(bounds.firstColumn, 0), lastColumn = min(bounds.lastColumn, columns - 1)
        let firstRow = max(bounds.firstRow, 0), lastRow = min(bounds.lastRow, rows - 1)
        return CellRect(column: firstColumn, row: firstRow,
                        width: max(lastColumn - firstColumn + 1, 0), height: max(lastRow - firstRow + 1, 0))
    }

    /// The part of the image in view, as fractions of its width and height (0...1 each).
    public var visibleFraction: (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        func range(_ origin: Double, _ visible: Double, _ extent: Double) -> ClosedRange<Double> {
            let low = min(max(origin / extent, 0), 1), high = min(max((origin + visible) / extent, 0), 1)
            return low...max(low, high)
        }
        return (range(originX, Double(columns) * scale, Double(imageWidth)),
                range(originY, Double(rows) * scale * cellAspect, Double(imageHeight)))
    }

    /// Zooms by `factor` (above 1 zooms in) so that `point` stays under the same cell, within
    /// the limits: never smaller than the fit, never beyond `maximumCellsPerPixel`.
    public mutating func zoom(by factor: Double, around point: PixelPoint) {
        let minimumScale = 1 / Self.maximumCellsPerPixel
        let newScale = min(max(scale / factor, minimumScale), fitScale)
        guard newScale != scale else { return }
        originX = point.x - (point.x - originX) * newScale / scale
        originY = point.y - (point.y - originY) * newScale / scale
        scale = newScale
        clampOrigin()
    }

    public mutating func zoomToFit() {
        scale = fitScale
        clampOrigin()
    }

    /// Shifts the view by whole cells (positive: the view moves right / down over the image).
    public mutating func pan(columns deltaColumns: Int, rows deltaRows: Int) {
        originX += Double(deltaColumns) * scale
        originY += Double(deltaRows) * scale * cellAspect
        clampOrigin()
    }

    /// Re-lays the view out for a new area, keeping the zoom relative to the fit and the image
    /// point at the centre of the area.
    public mutating func resize(columns newColumns: Int, rows newRows: Int, cellAspect newAspect: Double) {
        let centre = PixelPoint(x: originX + Double(columns) * scale / 2,
                                y: originY + Double(rows) * scale * cellAspect / 2)
        let zoomBefore = zoom
        columns = max(newColumns, 1)
        rows = max(newRows, 1)
        cellAspect = newAspect
        scale = fitScale / zoomBefore
        originX = centre.x - Double(columns) * scale / 2
        originY = centre.y - Double(rows) * scale * cellAspect / 2
        clampOrigin()
    }

    /// Keeps the image on screen: centred along an axis where it is smaller than the area,
    /// otherwise with no empty margin.
    private mutating func clampOrigin() {
        originX = Self.clamped(origin: originX, visible: Double(columns) * scale, extent: Double(imageWidth))
        originY = Self.clamped(origin: originY, visible: Double(rows) * scale * cellAspect, extent: Double(imageHeight))
    }

    private static func clamped(origin: Double, visible: Double, extent: Double) -> Double {
        if visible >= extent { return (extent - visible) / 2 }
        return min(max(origin, 0), extent - visible)
    }

    /// Moves a cursor by whole cells from the cell holding `point`: it stays on the image, and
    /// the view pans when the cursor would leave the area. Returns the centre of the new cell,
    /// kept inside the image.
    public mutating func moveCursor(from point: PixelPoint, columns deltaColumns: Int, rows deltaRows: Int) -> PixelPoint {
        let bounds = imageCellBounds
        var target = cell(containing: point)
        target.column = min(max(target.column + deltaColumns, bounds.firstColumn), bounds.lastColumn)
        target.row = min(max(target.row + deltaRows, bounds.firstRow), bounds.lastRow)
        let panColumns = target.column < 0 ? target.column : max(target.column - (columns - 1), 0)
        let panRows = target.row < 0 ? target.row : max(target.row - (rows - 1), 0)
        if panColumns != 0 || panRows != 0 {
            let before = imagePoint(atCell: target)
            pan(columns: panColumns, rows: panRows)
            // Clamping may have moved the view by less than asked: find the cell again.
            target = cell(containing: before)
        }
        return clampedToImage(imagePoint(atCell: target))
    }

    /// A point pulled inside the image, onto the nearest pixel centre band.
    public func clampedToImage(_ point: PixelPoint) -> PixelPoint {
        PixelPoint(x: min(max(point.x, 0.5), Double(imageWidth) - 0.5),
                   y: min(max(point.y, 0.5), Double(imageHeight) - 0.5))
    }

    /// Pans the least needed to bring `point` into the area.
    public mutating func reveal(_ point: PixelPoint) {
        let target = cell(containing: point)
        let panColumns = target.column < 0 ? target.column : max(target.column - (columns - 1), 0)
        let panRows = target.row < 0 ? target.row : max(target.row - (rows - 1), 0)
        if panColumns != 0 || panRows != 0 { pan(columns: panColumns, rows: panRows) }
    }
}
