// The kitty graphics protocol's escape codes: transmissions in base64 chunks, placements,
// deletions, the support query, and tmux's passthrough around them.
import Foundation

enum KittyGraphics {
    /// The most base64 bytes one escape code may carry.
    static let chunkLimit = 4096

    /// Asks whether the terminal speaks the protocol: a 1x1 RGB image it checks and does not keep
    /// (`a=q`). It answers `ESC _ G i=31 ; OK ESC \` (or an error), others ignore it.
    static let query = "\u{1b}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\u{1b}\\"

    /// One escape code: `ESC _ G keys ; payload ESC \`.
    static func command(_ keys: String, payload: Substring = "") -> [UInt8] {
        Array("\u{1b}_G\(keys)\(payload.isEmpty ? "" : ";\(payload)")\u{1b}\\".utf8)
    }

    /// `data` sent directly (`t=d`) in base64 chunks of at most `chunkLimit` bytes: `keys` on the
    /// first chunk only, `m=1` on all but the last, which has `m=0`. Every chunk has `q=2`, so the
    /// terminal never answers on standard input, where the key decoder would read it.
    static func transmit(keys: String, data: [UInt8]) -> [[UInt8]] {
        let encoded = Data(data).base64EncodedString()
        var out: [[UInt8]] = []
        var start = encoded.startIndex
        repeat {
            let end = encoded.index(start, offsetBy: chunkLimit, limitedBy: encoded.endIndex) ?? encoded.endIndex
            let more = end < encoded.endIndex ? 1 : 0
            let chunkKeys = start == encoded.startIndex ? "\(keys),t=d,q=2,m=\(more)" : "q=2,m=\(more)"
            out.append(command(chunkKeys, payload: encoded[start..<end]))
            start = end
        } while start < encoded.endIndex
        return out
    }

    /// Removes the image `id`, its placements and its data.
    static func delete(id: UInt32) -> [UInt8] {
        command("a=d,d=I,i=\(id),q=2")
    }

    /// Removes one placement of `id`, keeping the image to place again.
    static func deletePlacement(id: UInt32, placement: UInt32) -> [UInt8] {
        command("a=d,d=i,i=\(id),p=\(placement),q=2")
    }

    /// Whether `bytes` hold an answer to `query`; nil when they hold none. An error (`i=31;ENOTSUPPORTED:...`)
    /// answers no.
    static func queryAnswer(in bytes: [UInt8]) -> Bool? {
        guard let text = queryReply(in: bytes) else { return nil }
        return text.split(separator: ";", maxSplits: 1).last == "OK"
    }

    /// The body of the first graphics answer for image 31 (`i=31;OK`), without its framing.
    static func queryReply(in bytes: [UInt8]) -> String? {
        let opener: [UInt8] = [0x1b, UInt8(ascii: "_"), UInt8(ascii: "G")]
        var index = 0
        while index + opener.count <= bytes.count {
            defer { index += 1 }
            guard Array(bytes[index..<(index + opener.count)]) == opener else { continue }
            let start = index + opener.count
            var end = start
            while end + 1 < bytes.count, !(bytes[end] == 0x1b && bytes[end + 1] == UInt8(ascii: "\\")) { end += 1 }
            guard end + 1 < bytes.count else { return nil }
            let body = String(decoding: bytes[start..<end], as: UTF8.self)
            let keys = body.split(separator: ";", maxSplits: 1).first ?? ""
            if keys.split(separator: ",").contains("i=31") { return body }
        }
        return nil
    }

    /// `bytes` inside tmux's passthrough (`ESC P tmux; ... ESC \`, every ESC inside doubled), which
    /// tmux hands to the outer terminal unchanged when `allow-passthrough` is on.
    static func tmuxPassthrough(_ bytes: [UInt8]) -> [UInt8] {
        var out = Array("\u{1b}Ptmux;".utf8)
        out.reserveCapacity(bytes.count + 16)
        for byte in bytes {
            if byte == 0x1b { out.append(0x1b) }
            out.append(byte)
        }
        return out + [0x1b, UInt8(ascii: "\\")]
    }
}

/// How graphics reach the terminal: written as they are, or through tmux to the terminal it runs
/// in. tmux does not place the outer terminal's cursor where the pane's is, so in tmux the cursor
/// move goes inside the passthrough too, shifted by the pane's place in the outer terminal.
/// With `tmuxPlaceholders` (kitty 0.31 and later outside) no cursor moves at all: the view's
/// picture is a virtual placement shown by placeholder text in the pane, and the others are
/// placed relative to it (KittyLayer).
enum KittyTransport: Equatable, Sendable {
    case direct
    case tmux(paneColumn: Int, paneRow: Int)
    case tmuxPlaceholders

    /// Pictures are placed relative to the view's virtual placement, not at cells.
    var placesRelatively: Bool { self == .tmuxPlaceholders }

    /// Escape codes (the chunks of one transmission, or one command) with the cursor at a cell of
    /// the screen (0-based) when the last arrives (the terminal places an image there), or
    /// wherever it is when `at` is nil. In tmux each code is its own passthrough: tmux limits
    /// the size of one.
    func write(_ commands: [[UInt8]], at cell: CellPosition? = nil) -> [UInt8] {
        var out: [UInt8] = []
        for (index, command) in commands.enumerated() {
            let move = index == commands.count - 1 && !placesRelatively ? cell.map(moveTo) ?? [] : []
            switch self {
            case .direct: out += move + command
            case .tmux, .tmuxPlaceholders: out += KittyGraphics.tmuxPassthrough(move + command)
            }
        }
        return out
    }

    func write(_ command: [UInt8], at cell: CellPosition? = nil) -> [UInt8] {
        write([command], at: cell)
    }

    private func moveTo(_ cell: CellPosition) -> [UInt8] {
        var row = cell.row, column = cell.column
        if case .tmux(let paneColumn, let paneRow) = self {
            row += paneRow
            column += paneColumn
        }
        return Array("\u{1b}[\(row + 1);\(column + 1)H".utf8)
    }
}
