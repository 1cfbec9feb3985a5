// A message longer than its line keeps what a user acts on: paths lose their folders first
// (file names stay whole), then the middle of the text goes, so the end ("kept as NAME") shows.
import Foundation

enum MessageFitting {
    static func fit(_ text: String, width: Int) -> String {
        guard text.count > width, width > 0 else { return text }
        let shortened = text.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            let token = String(word)
            guard let slash = token.lastIndex(of: "/"), token.firstIndex(of: "/") != slash || token.hasPrefix("/") else {
                return token
            }
            let name = token[token.index(after: slash)...]
            return name.isEmpty ? token : "…/" + name
        }.joined(separator: " ")
        guard shortened.count > width else { return shortened }
        guard width > 8 else { return String(shortened.prefix(width)) }
        // Keep more of the end than the start: outcomes and file names come last.
        let tail = (width - 1) * 3 / 5, head = width - 1 - tail
        return String(shortened.prefix(head)) + "…" + String(shortened.suffix(tail))
    }
}
