// Cells to terminal bytes: cursor moves and SGR colours, only for cells that changed.
import Segmentation

/// How the text renderers' colours reach the terminal.
public enum ColorDepth: String, Sendable {
    case truecolor
    case palette256 = "256"
    case monochrome = "mono"
}

/// Turns successive frames of one screen region into escape sequences, sending only the cells
/// that differ from the previous frame (all of them after `invalidate`).
struct AnsiFrameWriter {
    let depth: ColorDepth
    private var previous: CellGrid?
    private var previousOrigin: CellPosition?

    init(depth: ColorDepth) {
        self.depth = depth
    }

    /// Forget what the terminal shows (after a clear, a resize, or something drawn over it).
    mutating func invalidate() {
        previous = nil
        previousOrigin = nil
    }

    /// The bytes that make the region at `origin` (zero-based screen cell) show `grid`.
    mutating func render(_ grid: CellGrid, at origin: CellPosition) -> [UInt8] {
        let reference = (previousOrigin == origin && previous?.width == grid.width && previous?.height == grid.height) ? previous : nil
        var out: [UInt8] = []
        out.reserveCapacity(reference == nil ? grid.width * grid.height * 24 : 256)
        var attributes: SGRState?
        var cursor: CellPosition?
        for row in 0..<grid.height {
            for column in 0..<grid.width {
                let cell = grid[column, row]
                if let reference, reference[column, row] == cell { continue }
                let position = CellPosition(column: origin.column + column, row: origin.row + row)
                if let from = cursor, from.row == position.row, from.column < position.column {
                    skip(grid, row: row, columns: (from.column - origin.column)..<column, attributes: &attributes, to: &out)
                } else if cursor != position {
                    out.append(contentsOf: [0x1b, UInt8(ascii: "[")])
                    out.appendDecimal(position.row + 1)
                    out.append(UInt8(ascii: ";"))
                    out.appendDecimal(position.column + 1)
                    out.append(UInt8(ascii: "H"))
                }
                append(cell, attributes: &attributes, to: &out)
                cursor = CellPosition(column: position.column + 1, row: position.row)
            }
        }
        if attributes != nil { out.append(contentsOf: [0x1b, UInt8(ascii: "["), UInt8(ascii: "0"), UInt8(ascii: "m")]) }
        previous = grid
        previousOrigin = origin
        return out
    }

    /// Writes one cell at the cursor, changing the rendition only as far as needed.
    private func append(_ cell: Cell, attributes: inout SGRState?, to out: inout [UInt8]) {
        let wanted = SGRState(cell: cell, depth: depth)
        wanted.appendTransition(from: attributes, to: &out)
        attributes = wanted
        if let ascii = cell.glyph.asciiValue {
            out.append(ascii)
        } else {
            out.append(contentsOf: String(cell.glyph).utf8)
        }
    }

    /// Moves the cursor right over unchanged cells of the row: `CSI n C`, or the cells written
    /// again when that is shorter (a gap of a cell or two in a speckled mask's edge).
    private func skip(_ grid: CellGrid, row: Int, columns: Range<Int>, attributes: inout SGRState?, to out: inout [UInt8]) {
        var move: [UInt8] = [0x1b, UInt8(ascii: "[")]
        if columns.count > 1 { move.appendDecimal(columns.count) }
        move.append(UInt8(ascii: "C"))
        if columns.count <= 2 {
            var rewrite: [UInt8] = []
            var rewritten = attributes
            for column in columns { append(grid[column, row], attributes: &rewritten, to: &rewrite) }
            if rewrite.count <= move.count {
                out += rewrite
                attributes = rewritten
                return
            }
        }
        out += move
    }
}

extension Array where Element == UInt8 {
    /// Appends a non-negative number in decimal, without going through String.
    mutating func appendDecimal(_ value: Int) {
        if value >= 10 { appendDecimal(value / 10) }
        append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}

/// The graphic rendition a cell needs, in the terminal's colour depth.
struct SGRState: Equatable {
    enum Color: Equatable {
        case defaultColor
        case direct(RGBColor)
        case indexed(Int)
    }

    var foreground: Color
    var background: Color
    var bold: Bool
    var reverse: Bool

    init(cell: Cell, depth: ColorDepth) {
        func convert(_ color: RGBColor?) -> Color {
            guard let color else { return .defaultColor }
            switch depth {
            case .truecolor: return .direct(color)
            case .palette256: return .indexed(ColorQuantizer.paletteIndex(color))
            case .monochrome: return .defaultColor
            }
        }
        foreground = convert(cell.foreground)
        background = convert(cell.background)
        bold = cell.bold
        reverse = cell.reverse
    }

    /// Appends the SGR sequence from `old` (nil: unknown, so start from a reset) to `self`;
    /// nothing when nothing changes.
    func appendTransition(from old: SGRState?, to out: inout [UInt8]) {
        let base = old ?? SGRState.reset
        var first = true
        func separator() {
            if first {
                out.append(contentsOf: [0x1b, UInt8(ascii: "[")])
                first = false
            } else {
                out.append(UInt8(ascii: ";"))
            }
        }
        if old == nil { separator(); out.append(UInt8(ascii: "0")) }
        if bold != base.bold { separator(); out.appendDecimal(bold ? 1 : 22) }
        if reverse != base.reverse { separator(); out.appendDecimal(reverse ? 7 : 27) }
        if foreground != base.foreground { separator(); Self.append(foreground, isForeground: true, to: &out) }
        if background != base.background { separator(); Self.append(background, isForeground: false, to: &out) }
        if !first { out.append(UInt8(ascii: "m")) }
    }

    private static let reset = SGRState(foreground: .defaultColor, background: .defaultColor, bold: false, reverse: false)

    private init(foreground: Color, background: Color, bold: Bool, reverse: Bool) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.reverse = reverse
    }

    private static func append(_ color: Color, isForeground: Bool, to out: inout [UInt8]) {
        switch color {
        case .defaultColor:
            out.appendDecimal(isForeground ? 39 : 49)
        case .direct(let c):
            out.appendDecimal(isForeground ? 38 : 48)
            for value in [2, Int(c.red), Int(c.green), Int(c.blue)] {
                out.append(UInt8(ascii: ";"))
                out.appendDecimal(value)
            }
        case .indexed(let index):
            out.appendDecimal(isForeground ? 38 : 48)
            out.append(contentsOf: [UInt8(ascii: ";"), UInt8(ascii: "5"), UInt8(ascii: ";")])
            out.appendDecimal(index)
        }
    }
}
