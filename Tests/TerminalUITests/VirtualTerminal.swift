// A screen that understands what the text renderers write (cursor moves, SGR, UTF-8 glyphs), so
// tests can check which cells a frame touched and what the screen shows afterwards.
import Segmentation
@testable import TerminalUI

struct VirtualTerminal {
    struct Shown: Equatable {
        var glyph: Character
        var rendition: SGRState
    }

    let columns: Int
    let rows: Int
    private(set) var screen: [CellPosition: Shown] = [:]
    /// Cells written since the last `resetTouched`.
    private(set) var touched = Set<CellPosition>()
    private var cursor = CellPosition(column: 0, row: 0)
    private var rendition: SGRState

    init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
        rendition = VirtualTerminal.plain
    }

    static var plain: SGRState { SGRState(cell: .blank, depth: .monochrome) }

    mutating func resetTouched() { touched = [] }

    /// What a cell of a renderer's grid looks like once written in `depth`.
    static func expected(_ cell: Cell, depth: ColorDepth) -> Shown {
        Shown(glyph: cell.glyph, rendition: SGRState(cell: cell, depth: depth))
    }

    mutating func feed(_ bytes: [UInt8]) {
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x1b, index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "[") {
                var end = index + 2
                while end < bytes.count, !(0x40...0x7e).contains(bytes[end]) { end += 1 }
                precondition(end < bytes.count, "an unfinished escape sequence")
                control(String(decoding: bytes[(index + 2)..<end], as: UTF8.self), final: bytes[end])
                index = end + 1
            } else if bytes[index] == 0x1b {
                index += 2  // DECSC / DECRC: the renderers' bytes do not depend on them
            } else {
                var end = index + 1
                while end < bytes.count, bytes[end] & 0xc0 == 0x80 { end += 1 }
                let glyph = Character(String(decoding: bytes[index..<end], as: UTF8.self))
                screen[cursor] = Shown(glyph: glyph, rendition: rendition)
                touched.insert(cursor)
                cursor.column += 1
                index = end
            }
        }
    }

    private mutating func control(_ parameters: String, final: UInt8) {
        let numbers = parameters.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
        switch final {
        case UInt8(ascii: "H"):
            cursor = CellPosition(column: max(numbers.count > 1 ? numbers[1] : 1, 1) - 1, row: max(numbers[0], 1) - 1)
        case UInt8(ascii: "C"):
            cursor.column += max(numbers[0], 1)
        case UInt8(ascii: "m"):
            var rest = numbers[...]
            while let code = rest.popFirst() {
                switch code {
                case 0: rendition = Self.plain
                case 1: rendition.bold = true
                case 22: rendition.bold = false
                case 7: rendition.reverse = true
                case 27: rendition.reverse = false
                case 39: rendition.foreground = .defaultColor
                case 49: rendition.background = .defaultColor
                case 38, 48:
                    let color: SGRState.Color
                    if rest.popFirst() == 2 {
                        let rgb = Array(rest.prefix(3)).map { UInt8($0) }
                        rest = rest.dropFirst(3)
                        color = .direct(RGBColor(red: rgb[0], green: rgb[1], blue: rgb[2]))
                    } else {
                        color = .indexed(rest.popFirst() ?? 0)
                    }
                    if code == 38 { rendition.foreground = color } else { rendition.background = color }
                default: preconditionFailure("unexpected SGR \(code)")
                }
            }
        default:
            preconditionFailure("unexpected control \(parameters)\(Character(Unicode.Scalar(final)))")
        }
    }
}
