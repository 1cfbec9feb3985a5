// The `?` overlay: every binding of the keymap, fitted to the image area. A help taller than
// the area goes into two columns where they fit side by side, and otherwise scrolls (j/k,
// arrows, PgUp/PgDn) with a last line that says there is more; lines wider than the box wrap
// at spaces under their description.

import Foundation
public enum HelpOverlay {
    public static let title = "samterm keys (any key closes)"
    public static let scrollingTitle = "samterm keys (j/k PgUp/PgDn scroll, other keys close)"
    static let columnGap = "   "

    public struct Page: Equatable {
        /// The box to draw, centred in the area.
        public var box: CellRect
        /// Its text lines, title first, each fitted to the box.
        public var lines: [String]
        /// How far the help can scroll (0: it fits).
        public var maximumScroll: Int
    }

    /// The box to draw, centred in `area`, and its text lines (already fitted).
    public static func layout(in area: CellRect, scroll: Int = 0, keys: [String] = Keymap.helpLines) -> (box: CellRect, lines: [String]) {
        let page = self.page(in: area, scroll: scroll, body: keys)
        return (page.box, page.lines)
    }

    public static func page(in area: CellRect, scroll: Int = 0, body: [String] = Keymap.helpLines) -> Page {
        let contentWidth = max(area.width - 4, 1)
        let contentHeight = max(area.height - 4, 1)  // borders, title, blank line
        let natural = body.map(\.count).max() ?? 0
        var rows = body.map { String($0) }
        if rows.count > contentHeight || natural > contentWidth {
            let half = (body.count + 1) / 2
            if natural * 2 + columnGap.count <= contentWidth, rows.count > contentHeight {
                rows = (0..<half).map { index in
                    let left = body[index].padding(toLength: natural, withPad: " ", startingAt: 0)
                    return body.indices.contains(index + half) ? left + columnGap + body[index + half] : left
                }
            } else {
                rows = body.flatMap { wrap($0, width: contentWidth) }
            }
        }
        let scrolls = rows.count > contentHeight
        // A scrolling help keeps its last row for the line that says where it is.
        let visibleCount = scrolls ? max(contentHeight - 1, 1) : rows.count
        let maximumScroll = max(rows.count - visibleCount, 0)
        let first = min(max(scroll, 0), maximumScroll)
        var lines = [scrolls ? scrollingTitle : title, ""] + rows[first..<min(first + visibleCount, rows.count)]
        if scrolls {
            let range = "\(first + 1)–\(first + visibleCount) of \(rows.count)"
            lines.append(first < maximumScroll ? "more: j/k ↓  (\(range))" : "end  (\(range), k ↑)")
        }
        let width = min(max(lines.map(\.count).max() ?? 0, title.count) + 4, area.width)
        let height = min(lines.count + 2, area.height)
        let box = CellRect(column: area.column + max((area.width - width) / 2, 0),
                           row: area.row + max((area.height - height) / 2, 0), width: width, height: height)
        lines = lines.prefix(max(height - 2, 0)).map { String($0.prefix(max(width - 4, 0))) }
        return Page(box: box, lines: lines, maximumScroll: maximumScroll)
    }

    /// "keys  what they do" wrapped at spaces to `width`, later lines under "what they do".
    static func wrap(_ line: String, width: Int) -> [String] {
        guard line.count > width else { return [line] }
        let indentCount = line.range(of: "  ").map { line.distance(from: line.startIndex, to: $0.upperBound) } ?? 0
        let indent = String(repeating: " ", count: indentCount < width / 2 ? indentCount : 0)
        var lines: [String] = []
        var current = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            let candidate = current.isEmpty ? (lines.isEmpty ? word : indent + word) : current + " " + word
            if candidate.count > width, !current.trimmingCharacters(in: .whitespaces).isEmpty {
                lines.append(current)
                current = indent + word
            } else {
                current = candidate
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines.map { String($0.prefix(width)) }
    }
}
