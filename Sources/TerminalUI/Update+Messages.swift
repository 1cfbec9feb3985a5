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
        "\(key.displayName) does nothing here: ? for help"
    }
}
