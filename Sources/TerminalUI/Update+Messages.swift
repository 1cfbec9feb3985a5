// The update's messages that describe a passing state: they go when that state does, and keys
// that do nothing say why.
import Segmentation

extension EditorState {
    static let stillLoading = "The image is still loading"
    static let stillEncoding = "The image is still being encoded"

    /// Drops the message `text` (a wait that is over); another message stays.
    mutating func dropMessage(_ text: String) {
        if message?.text == text { message = nil }
    }

    /// A key that has no binding in the normal mode.
    static func unknownKey(_ key: Key) -> String {
        "\(key.shownName) does nothing here: ? for help"
    }
}

extension Key {
    /// The key as messages name it: "Z", "Ctrl-X", "Home".
    var shownName: String {
        switch self {
        case .character(" "): return "Space"
        case .character(let character): return String(character)
        case .control(let character): return "Ctrl-" + String(character).uppercased()
        case .up: return "Up"
        case .down: return "Down"
        case .left: return "Left"
        case .right: return "Right"
        case .shiftUp: return "Shift-Up"
        case .shiftDown: return "Shift-Down"
        case .shiftLeft: return "Shift-Left"
        case .shiftRight: return "Shift-Right"
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
