// Keys by name, as the keymap file writes them and the help shows them: `D`, `ctrl-a`, `enter`,
// `pagedown`, `f5`.

extension Key {
    /// The names that are not a single character, each with its key.
    static let namedKeys: [(name: String, key: Key)] = [
        ("enter", .enter), ("return", .enter), ("tab", .tab), ("backtab", .backTab), ("shift-tab", .backTab),
        ("esc", .escape), ("escape", .escape), ("space", .character(" ")), ("backspace", .backspace),
        ("delete", .delete), ("del", .delete), ("up", .up), ("down", .down), ("left", .left), ("right", .right),
        ("shift-up", .shiftUp), ("shift-down", .shiftDown), ("shift-left", .shiftLeft), ("shift-right", .shiftRight),
        ("ctrl-up", .controlUp), ("ctrl-down", .controlDown), ("ctrl-left", .controlLeft), ("ctrl-right", .controlRight),
        ("home", .home), ("end", .end), ("pageup", .pageUp), ("pagedown", .pageDown),
    ]

    /// What the keymap file may say, for its error messages.
    static let nameSyntax = "a single character, ctrl-a … ctrl-z, enter, tab, backtab, esc, space, backspace, delete, "
        + "up, down, left, right, shift-up … shift-right, ctrl-up … ctrl-right, home, end, pageup, pagedown, f1 … f12"

    /// The key a name stands for: a single character as it is (`D` is Shift-d), else a name
    /// in any case.
    public init?(name: String) {
        if name.count == 1, let character = name.first, !character.isWhitespace {
            self = .character(character)
            return
        }
        let lower = name.lowercased()
        if let named = Self.namedKeys.first(where: { $0.name == lower }) {
            self = named.key
        } else if lower.hasPrefix("ctrl-"), lower.count == 6, let letter = lower.last, letter.isASCII, letter.isLetter {
            self = .control(letter)
        } else if lower.hasPrefix("f"), let number = Int(lower.dropFirst()), (1...12).contains(number) {
            self = .function(number)
        } else {
            return nil
        }
    }

    /// The name the help shows: `D`, `Ctrl-A`, `Enter`, `←`.
    public var displayName: String {
        switch self {
        case .character(" "): return "Space"
        case .character(let character): return String(character)
        case .control(let letter): return "Ctrl-" + letter.uppercased()
        case .function(let number): return "F\(number)"
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .shiftUp: return "Shift-↑"
        case .shiftDown: return "Shift-↓"
        case .shiftLeft: return "Shift-←"
        case .shiftRight: return "Shift-→"
        case .controlUp: return "Ctrl-↑"
        case .controlDown: return "Ctrl-↓"
        case .controlLeft: return "Ctrl-←"
        case .controlRight: return "Ctrl-→"
        case .enter: return "Enter"
        case .tab: return "Tab"
        case .backTab: return "Shift-Tab"
        case .escape: return "Esc"
        case .backspace: return "Backspace"
        case .delete: return "Delete"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PageUp"
        case .pageDown: return "PageDown"
        }
    }
}
