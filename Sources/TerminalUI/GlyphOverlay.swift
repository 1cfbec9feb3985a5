// Prompt marks and the cursor drawn as characters over text-rendered images.
import Segmentation

enum GlyphOverlay {
    static let foregroundGlyph: Character = "+"
    static let backgroundGlyph: Character = "x"
    static let cursorGlyph: Character = "┼"

    /// Draws the box, the pending box, the points and the crosshair cursor. Without colour
    /// (`colored` false) marks are told apart by their shape and drawn bold.
    static func draw(_ scene: OverlayScene, viewport: Viewport, on grid: inout CellGrid, colored: Bool) {
        if let box = scene.box { drawFrame(box, color: EditorColors.box, viewport: viewport, on: &grid, colored: colored) }
        if let box = scene.pendingBox { drawFrame(box, color: EditorColors.cursor, viewport: viewport, on: &grid, colored: colored) }
        var marked = Set<CellPosition>()
        for point in scene.points {
            let cell = viewport.cell(containing: point.position)
            let glyph = point.isForeground ? foregroundGlyph : backgroundGlyph
            let color = point.isForeground ? EditorColors.foregroundPoint : EditorColors.backgroundPoint
            if put(glyph, color: color, at: cell, on: &grid, colored: colored) { marked.insert(cell) }
        }
        if let cursor = scene.cursor {
            let centre = viewport.cell(containing: cursor)
            let arms: [(Int, Int, Character)] = [(-1, 0, "─"), (1, 0, "─"), (0, -1, "│"), (0, 1, "│")]
            for (dx, dy, glyph) in arms {
                let cell = CellPosition(column: centre.column + dx, row: centre.row + dy)
                if !marked.contains(cell) { put(glyph, color: EditorColors.cursor, at: cell, on: &grid, colored: colored) }
            }
            if marked.contains(centre) {
                // Keep the point visible under the cursor: show it reversed.
                if grid.contains(x: centre.column, y: centre.row) { grid[centre.column, centre.row].reverse = true }
            } else {
                put(cursorGlyph, color: EditorColors.cursor, at: centre, on: &grid, colored: colored)
                if !colored, grid.contains(x: centre.column, y: centre.row) { grid[centre.column, centre.row].reverse = true }
            }
        }
    }

    /// Puts a mark on a cell, over the cell's own colour; false when the cell is off the grid.
    @discardableResult
    static func put(_ glyph: Character, color: RGBColor, at cell: CellPosition, on grid: inout CellGrid, colored: Bool) -> Bool {
        guard grid.contains(x: cell.column, y: cell.row) else { return false }
        let below = grid[cell.column, cell.row]
        grid[cell.column, cell.row] = colored
            ? Cell(glyph: glyph, foreground: color, background: markBackground(below.averageColor), bold: true)
            : Cell(glyph: glyph, bold: true)
        return true
    }

    /// The cell behind a mark: the picture's colour, darkened where it is light, so the bright
    /// marks stand out on it (a dark ring around them) and stay on a dark one as it is.
    static func markBackground(_ below: RGBColor?) -> RGBColor? {
        guard let below, below.luma >= 100 else { return below }
        return below.blended(toward: .black, alpha: 0.7)
    }

    static func drawFrame(_ box: PromptBox, color: RGBColor, viewport: Viewport, on grid: inout CellGrid, colored: Bool) {
        let first = viewport.cell(containing: box.topLeft)
        let last = viewport.cell(containing: box.bottomRight)
        guard last.row >= 0, last.column >= 0, first.row < grid.height, first.column < grid.width else { return }
        // Only the part on the grid is walked: a zoomed-in box can span far more cells.
        let rows = max(first.row, 0)...min(last.row, grid.height - 1)
        let columns = max(first.column, 0)...min(last.column, grid.width - 1)
        for row in rows {
            let top = row == first.row, bottom = row == last.row
            let edgeColumns = top || bottom ? Array(columns) : [first.column, last.column].filter(columns.contains)
            for column in edgeColumns {
                let left = column == first.column, right = column == last.column
                let glyph: Character
                switch (top, bottom, left, right) {
                case (true, true, true, true): glyph = "□"
                case (true, true, _, _): glyph = "─"
                case (_, _, true, true): glyph = "│"
                case (true, _, true, _): glyph = "┌"
                case (true, _, _, true): glyph = "┐"
                case (_, true, true, _): glyph = "└"
                case (_, true, _, true): glyph = "┘"
                case (true, _, _, _), (_, true, _, _): glyph = "─"
                default: glyph = "│"
                }
                put(glyph, color: color, at: CellPosition(column: column, row: row), on: &grid, colored: colored)
            }
        }
    }
}
