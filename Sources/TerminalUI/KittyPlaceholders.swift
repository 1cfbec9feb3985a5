// Unicode placeholders of the kitty graphics protocol (kitty 0.28+): an image's virtual placement
// (`U=1`) is drawn wherever the text holds its placeholder cells. Inside tmux the cells are
// ordinary text of samterm's pane, so the picture goes where the pane goes and hides with its
// window, which direct placements through passthrough cannot do.

enum KittyPlaceholders {
    /// The placeholder character; the cell's foreground colour names the image.
    static let character: Unicode.Scalar = "\u{10EEEE}"

    /// The combining marks that number rows and columns (and give an id's top byte): the
    /// protocol's table, kitty's `rowcolumn-diacritics.txt` (class-230 marks of Unicode 6.0
    /// without decompositions), as runs of code points, in order.
    static let diacritics: [Unicode.Scalar] = {
        let runs: [(UInt32, UInt32)] = [
            (0x0305, 0x0305), (0x030D, 0x030E), (0x0310, 0x0310), (0x0312, 0x0312), (0x033D, 0x033F), (0x0346, 0x0346),
            (0x034A, 0x034C), (0x0350, 0x0352), (0x0357, 0x0357), (0x035B, 0x035B), (0x0363, 0x036F), (0x0483, 0x0487),
            (0x0592, 0x0595), (0x0597, 0x0599), (0x059C, 0x05A1), (0x05A8, 0x05A9), (0x05AB, 0x05AC), (0x05AF, 0x05AF),
            (0x05C4, 0x05C4), (0x0610, 0x0617), (0x0657, 0x065B), (0x065D, 0x065E), (0x06D6, 0x06DC), (0x06DF, 0x06E2),
            (0x06E4, 0x06E4), (0x06E7, 0x06E8), (0x06EB, 0x06EC), (0x0730, 0x0730), (0x0732, 0x0733), (0x0735, 0x0736),
            (0x073A, 0x073A), (0x073D, 0x073D), (0x073F, 0x0741), (0x0743, 0x0743), (0x0745, 0x0745), (0x0747, 0x0747),
            (0x0749, 0x074A), (0x07EB, 0x07F1), (0x07F3, 0x07F3), (0x0816, 0x0819), (0x081B, 0x0823), (0x0825, 0x0827),
            (0x0829, 0x082D), (0x0951, 0x0951), (0x0953, 0x0954), (0x0F82, 0x0F83), (0x0F86, 0x0F87), (0x135D, 0x135F),
            (0x17DD, 0x17DD), (0x193A, 0x193A), (0x1A17, 0x1A17), (0x1A75, 0x1A7C), (0x1B6B, 0x1B6B), (0x1B6D, 0x1B73),
            (0x1CD0, 0x1CD2), (0x1CDA, 0x1CDB), (0x1CE0, 0x1CE0), (0x1DC0, 0x1DC1), (0x1DC3, 0x1DC9), (0x1DCB, 0x1DCC),
            (0x1DD1, 0x1DE6), (0x1DFE, 0x1DFE), (0x20D0, 0x20D1), (0x20D4, 0x20D7), (0x20DB, 0x20DC), (0x20E1, 0x20E1),
            (0x20E7, 0x20E7), (0x20E9, 0x20E9), (0x20F0, 0x20F0), (0x2CEF, 0x2CF1), (0x2DE0, 0x2DFF), (0xA66F, 0xA66F),
            (0xA67C, 0xA67D), (0xA6F0, 0xA6F1), (0xA8E0, 0xA8F1), (0xAAB0, 0xAAB0), (0xAAB2, 0xAAB3), (0xAAB7, 0xAAB8),
            (0xAABE, 0xAABF), (0xAAC1, 0xAAC1), (0xFE20, 0xFE26), (0x10A0F, 0x10A0F), (0x10A38, 0x10A38),
            (0x1D185, 0x1D189), (0x1D1AA, 0x1D1AD), (0x1D242, 0x1D244),
        ]
        return runs.flatMap { $0.0...$0.1 }.compactMap(Unicode.Scalar.init)
    }()

    /// An image id a placeholder cell can name through a 256-colour foreground (tmux passes
    /// those on whatever it knows of the outer terminal's colours): the colour index is the low
    /// byte, the third diacritic the top byte, the middle bytes zero.
    static func isNameable(_ id: UInt32) -> Bool {
        id & 0x00FF_FF00 == 0 && Int(id >> 24) < diacritics.count
    }

    /// The placeholder cells of image `id` over `columns` x `rows` cells at `origin` (0-based
    /// cells of samterm's own screen, written as text). Each row's first cell carries its row,
    /// column 0 and the id's top byte; the rest are bare, which the protocol reads as the next
    /// column of the same row and image.
    static func cells(id: UInt32, origin: CellPosition, columns: Int, rows: Int) -> [UInt8] {
        precondition(isNameable(id), "image id \(id) cannot be named by a 256-colour placeholder")
        guard columns > 0, rows > 0, rows <= diacritics.count else { return [] }
        var out = Array("\u{1b}[0;38;5;\(id & 0xFF)m".utf8)
        let bare = Array(String(Character(character)).utf8)
        let rest = Array(repeating: bare, count: columns - 1).flatMap { $0 }
        for row in 0..<rows {
            out += Array("\u{1b}[\(origin.row + row + 1);\(origin.column + 1)H".utf8)
            var first = String.UnicodeScalarView()
            first.append(contentsOf: [character, diacritics[row], diacritics[0], diacritics[Int(id >> 24)]])
            out += Array(String(first).utf8) + rest
        }
        return out + Array("\u{1b}[0m".utf8)
    }

    /// Blanks the cells again (erase characters, default colours), once the image is deleted.
    static func erase(origin: CellPosition, columns: Int, rows: Int) -> [UInt8] {
        guard columns > 0, rows > 0 else { return [] }
        var out = Array("\u{1b}[0m".utf8)
        for row in 0..<rows { out += Array("\u{1b}[\(origin.row + row + 1);\(origin.column + 1)H\u{1b}[\(columns)X".utf8) }
        return out
    }

    /// The version in a terminal's XTVERSION name as tmux reports it (`kitty(0.31.2)`), or nil.
    static func kittyVersion(in terminal: String) -> (major: Int, minor: Int)? {
        guard let start = terminal.range(of: "kitty(") else { return nil }
        let numbers = terminal[start.upperBound...].prefix { $0 != ")" }.split(separator: ".").compactMap { Int($0) }
        return numbers.count >= 2 ? (numbers[0], numbers[1]) : nil
    }

    /// Placeholders need kitty 0.28; the other pictures placed relative to a virtual placement, 0.31.
    static func supported(byTerminal terminal: String) -> Bool {
        guard let version = kittyVersion(in: terminal) else { return false }
        return version.major > 0 || version.minor >= 31
    }
}
