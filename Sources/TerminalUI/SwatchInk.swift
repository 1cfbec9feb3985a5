// How an object's swatch in the panel is coloured: in the terminal's best colour depth. Curses
// knows only the colours of its terminfo entry (8 with TERM=xterm); where the terminal says it
// can do more (COLORTERM, the RGB capability, 256 terminfo colours), the swatch cells are
// written over curses' approximation with direct or 256-colour escapes.
import Segmentation

enum SwatchInk: Equatable {
    /// 24-bit colour (SGR 38;2).
    case direct(RGBColor)
    /// An xterm 256-colour palette index (16...255).
    case palette(Int)
    /// One of the eight basic colours (curses' COLOR_BLACK ... COLOR_WHITE).
    case basic(Int)

    /// The best ink for `color`: the terminal's depth, or curses' colour count if that is more.
    static func best(for color: RGBColor, depth: ColorDepth, cursesColors: Int) -> SwatchInk {
        if depth == .truecolor { return .direct(color) }
        if depth == .palette256 || cursesColors >= 256 { return .palette(ColorQuantizer.paletteIndex(color)) }
        return .basic(nearestBasic(color))
    }

    /// What curses itself can draw, with `cursesColors` colours: the best ink, or the nearest it has.
    static func curses(for color: RGBColor, depth: ColorDepth, cursesColors: Int) -> SwatchInk {
        switch best(for: color, depth: depth, cursesColors: cursesColors) {
        case .palette(let index) where cursesColors >= 256: return .palette(index)
        default: return .basic(nearestBasic(color))
        }
    }

    /// The basic colour of the same hue: a channel counts when it is near the strongest one (a
    /// fixed half-way cut made dodger blue cyan and orange yellow); dark colours are black.
    static func nearestBasic(_ color: RGBColor) -> Int {
        let strongest = Int(max(color.red, color.green, color.blue))
        guard strongest >= 64 else { return 0 }
        let cut = strongest * 6 / 10
        return (Int(color.red) > cut ? 1 : 0) | (Int(color.green) > cut ? 2 : 0) | (Int(color.blue) > cut ? 4 : 0)
    }

    /// The SGR that sets this ink as the foreground.
    var foregroundSGR: String {
        switch self {
        case .direct(let color): return "\u{1b}[38;2;\(color.red);\(color.green);\(color.blue)m"
        case .palette(let index): return "\u{1b}[38;5;\(index)m"
        case .basic(let index): return "\u{1b}[3\(index)m"
        }
    }

    /// Swatch glyphs at screen cells in their best inks, between DECSC and DECRC so curses'
    /// cursor and attributes are left as they were.
    static func overdraw(_ swatches: [(row: Int, column: Int, glyph: String, ink: SwatchInk)]) -> [UInt8] {
        guard !swatches.isEmpty else { return [] }
        var text = "\u{1b}7"
        for swatch in swatches {
            text += "\u{1b}[\(swatch.row + 1);\(swatch.column + 1)H\u{1b}[0m" + swatch.ink.foregroundSGR + swatch.glyph
        }
        return Array((text + "\u{1b}[0m\u{1b}8").utf8)
    }
}
