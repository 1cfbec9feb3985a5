// A tmux pane as cells (glyph, colours, attributes) from `capture-pane -p -e -N`, and what
// writing only the cells that differ between two captures costs at the least: the yardstick the
// half-block renderers' clicks are measured against.
import Foundation

struct PaneCell: Equatable {
    enum Color: Equatable {
        case defaultColor
        /// 30-37 / 90-97 (40-47 / 100-107): the 16 colours in their short form.
        case ansi(Int)
        /// 38;5;n / 48;5;n.
        case palette(Int)
        /// 38;2;r;g;b / 48;2;r;g;b.
        case direct(Int, Int, Int)
    }

    var glyph: Character = " "
    var foreground = Color.defaultColor
    var background = Color.defaultColor
    var bold = false
    var dim = false
    var italic = false
    var underline = false
    var blink = false
    var reverse = false

    static let blank = PaneCell()

    /// The rendition alone, the glyph aside.
    var rendition: PaneCell {
        var copy = self
        copy.glyph = " "
        return copy
    }
}

enum PaneCells {
    /// The screen `capture-pane -p -e -N` printed: `rows` rows of `columns` cells. tmux leaves out
    /// cells never written at a line's end; they are blanks. Its SGR state runs on across lines.
    static func parse(_ capture: String, columns: Int, rows: Int) -> [[PaneCell]] {
        var screen = Array(repeating: Array(repeating: PaneCell.blank, count: columns), count: rows)
        var pen = PaneCell.blank
        var lines = capture.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        for (row, line) in lines.prefix(rows).enumerated() {
            var column = 0
            var index = line.startIndex
            while index < line.endIndex {
                let character = line[index]
                if character == "\u{1b}" {
                    index = escape(in: line, at: index, pen: &pen)
                    continue
                }
                if column < columns {
                    var cell = pen
                    cell.glyph = character
                    screen[row][column] = cell
                }
                column += 1
                index = line.index(after: index)
            }
        }
        return screen
    }

    /// Reads the escape sequence at `start` (an SGR changes `pen`; others are skipped) and
    /// returns where the text goes on.
    private static func escape(in line: Substring, at start: Substring.Index, pen: inout PaneCell) -> Substring.Index {
        var index = line.index(after: start)
        guard index < line.endIndex, line[index] == "[" else { return index < line.endIndex ? line.index(after: index) : index }
        index = line.index(after: index)
        var parameters = ""
        while index < line.endIndex, let ascii = line[index].asciiValue, (0x30...0x3f).contains(ascii) {
            parameters.append(line[index])
            index = line.index(after: index)
        }
        guard index < line.endIndex else { return index }
        if line[index] == "m" { apply(parameters, to: &pen) }
        return line.index(after: index)
    }

    static func apply(_ parameters: String, to pen: inout PaneCell) {
        let values = parameters.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
        var i = 0
        func color() -> PaneCell.Color {
            if i + 2 < values.count, values[i + 1] == 5 {
                defer { i += 2 }
                return .palette(values[i + 2])
            }
            if i + 4 < values.count, values[i + 1] == 2 {
                defer { i += 4 }
                return .direct(values[i + 2], values[i + 3], values[i + 4])
            }
            return .defaultColor
        }
        while i < values.count {
            let value = values[i]
            switch value {
            case 0: pen = PaneCell.blank
            case 1: pen.bold = true
            case 2: pen.dim = true
            case 3: pen.italic = true
            case 4: pen.underline = true
            case 5: pen.blink = true
            case 7: pen.reverse = true
            case 22: pen.bold = false; pen.dim = false
            case 23: pen.italic = false
            case 24: pen.underline = false
            case 25: pen.blink = false
            case 27: pen.reverse = false
            case 30...37: pen.foreground = .ansi(value - 30)
            case 90...97: pen.foreground = .ansi(value - 90 + 8)
            case 40...47: pen.background = .ansi(value - 40)
            case 100...107: pen.background = .ansi(value - 100 + 8)
            case 38: pen.foreground = color()
            case 48: pen.background = color()
            case 39: pen.foreground = .defaultColor
            case 49: pen.background = .defaultColor
            default: break
            }
            i += 1
        }
    }

    /// The cells that differ between two screens of the same size.
    static func changed(_ before: [[PaneCell]], _ after: [[PaneCell]]) -> [(row: Int, column: Int)] {
        var cells: [(row: Int, column: Int)] = []
        for row in after.indices {
            for column in after[row].indices where before[row][column] != after[row][column] {
                cells.append((row, column))
            }
        }
        return cells
    }

    /// The bytes that bring a terminal showing `before` to `after` by writing exactly the cells
    /// that changed, as samterm's AnsiFrameWriter writes them: per run of changed cells in a row,
    /// a cursor move (`CSI row;col H`); per cell, its glyph's UTF-8 and the SGR from the last cell
    /// written to it (the first from a reset, `CSI 0;...m`); a reset (`CSI 0m`) at the end.
    static func cost(from before: [[PaneCell]], to after: [[PaneCell]]) -> Int {
        var bytes = 0
        var last: PaneCell?
        for row in after.indices {
            var previousColumn = -2
            for column in after[row].indices where before[row][column] != after[row][column] {
                if column != previousColumn + 1 { bytes += "\u{1b}[\(row + 1);\(column + 1)H".utf8.count }
                let cell = after[row][column]
                bytes += sgrLength(from: last, to: cell) + String(cell.glyph).utf8.count
                last = cell.rendition
                previousColumn = column
            }
        }
        return last == nil ? 0 : bytes + "\u{1b}[0m".utf8.count
    }

    /// The length of the shortest SGR sequence from `old` (nil: unknown, start with a reset) to
    /// `new`, in SGRState's order: 0, then the attributes that change, then the colours; zero when
    /// nothing changes.
    static func sgrLength(from old: PaneCell?, to new: PaneCell) -> Int {
        let base = old ?? PaneCell.blank
        var parameters: [String] = old == nil ? ["0"] : []
        // Turning bold or dim off is 22, which turns off both.
        if (base.bold && !new.bold) || (base.dim && !new.dim) {
            parameters.append("22")
            if new.bold { parameters.append("1") }
            if new.dim { parameters.append("2") }
        } else {
            if new.bold && !base.bold { parameters.append("1") }
            if new.dim && !base.dim { parameters.append("2") }
        }
        for (on, was, set, unset) in [(new.italic, base.italic, "3", "23"), (new.underline, base.underline, "4", "24"),
                                      (new.blink, base.blink, "5", "25"), (new.reverse, base.reverse, "7", "27")] where on != was {
            parameters.append(on ? set : unset)
        }
        if new.foreground != base.foreground { parameters.append(code(new.foreground, foreground: true)) }
        if new.background != base.background { parameters.append(code(new.background, foreground: false)) }
        guard !parameters.isEmpty else { return 0 }
        return "\u{1b}[".utf8.count + parameters.joined(separator: ";").utf8.count + 1
    }

    private static func code(_ color: PaneCell.Color, foreground: Bool) -> String {
        switch color {
        case .defaultColor: return foreground ? "39" : "49"
        case .ansi(let n): return "\((foreground ? 30 : 40) + (n < 8 ? n : n - 8 + 60))"
        case .palette(let n): return "\(foreground ? 38 : 48);5;\(n)"
        case .direct(let r, let g, let b): return "\(foreground ? 38 : 48);2;\(r);\(g);\(b)"
        }
    }
}
