// A rectangle of terminal cells as the text renderers produce them, before they become bytes.
import Segmentation

struct Cell: Equatable {
    var glyph: Character
    /// nil: the terminal's default colour.
    var foreground: RGBColor?
    var background: RGBColor?
    var bold = false
    var reverse = false

    static let blank = Cell(glyph: " ")

    /// The colour the cell shows on the whole, to put a mark on it without hiding the picture.
    var averageColor: RGBColor? {
        switch (glyph, foreground, background) {
        case ("▀", let top?, let bottom?), ("▄", let bottom?, let top?):
            return top.blended(toward: bottom, alpha: 0.5)
        case ("▀", let only?, nil), ("▄", let only?, nil):
            return only
        default:
            return background
        }
    }
}

struct CellGrid: Equatable {
    let width: Int
    let height: Int
    var cells: [Cell]

    init(width: Int, height: Int, filledWith cell: Cell = .blank) {
        self.width = width
        self.height = height
        cells = [Cell](repeating: cell, count: width * height)
    }

    subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// The glyphs alone, one line per row: what a golden test compares.
    var text: String {
        (0..<height).map { y in String((0..<width).map { self[$0, y].glyph }) }.joined(separator: "\n")
    }
}
