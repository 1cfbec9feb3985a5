// The `names` of an Ultralytics data.yaml, read without a YAML library: the forms Ultralytics
// writes and documents, a mapping (`names:` then `  0: person` lines), a block list (`- person`)
// or a flow list (`names: [person, 'traffic light']`).

import Foundation

public enum YOLODataYAML {
    /// The class names in id order; nil when the text has no `names` this reader understands.
    /// Ids missing from a mapping are named "class N".
    public static func names(in text: String) -> [String]? {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("names:") }) else { return nil }
        let rest = lines[start].dropFirst("names:".count).trimmingCharacters(in: .whitespaces)
        if rest.hasPrefix("[") {
            guard let end = rest.lastIndex(of: "]") else { return nil }
            let inner = rest[rest.index(after: rest.startIndex)..<end]
            return splitFlowList(String(inner)).map(unquote)
        }
        guard rest.isEmpty || rest.hasPrefix("#") else { return nil }
        var mapped: [Int: String] = [:]
        var listed: [String] = []
        for line in lines[(start + 1)...] {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard line.first == " " || line.first == "\t" || line.hasPrefix("-") else { break }
            if trimmed.hasPrefix("- ") || trimmed == "-" {
                listed.append(unquote(String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces)))
            } else if let colon = trimmed.firstIndex(of: ":"), let id = Int(trimmed[..<colon].trimmingCharacters(in: .whitespaces)),
                      id >= 0, id < 100_000 {
                mapped[id] = unquote(trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            } else {
                return nil
            }
        }
        if !listed.isEmpty { return listed }
        guard let largest = mapped.keys.max() else { return nil }
        return (0...largest).map { mapped[$0] ?? "class \($0)" }
    }

    /// "a, 'b, c', \"d\"" → ["a", "'b, c'", "\"d\""]: commas inside quotes do not split.
    private static func splitFlowList(_ text: String) -> [String] {
        var items: [String] = []
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                current.append(character)
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
                current.append(character)
            } else if character == "," {
                items.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        let last = current.trimmingCharacters(in: .whitespaces)
        if !last.isEmpty { items.append(last) }
        return items
    }

    /// A YAML scalar without its quotes ('' inside single quotes is one quote; \" and \\ in double).
    static func unquote(_ text: String) -> String {
        var value = text
        if let hash = value.range(of: " #"), !value.hasPrefix("'") && !value.hasPrefix("\"") {
            value = String(value[..<hash.lowerBound])
        }
        value = value.trimmingCharacters(in: .whitespaces)
        if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") {
            return String(value.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
        }
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            return String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
                .replacingOccurrences(of: "\\\\", with: "\\")
        }
        return value
    }

    /// The names of the data.yaml at `path`; nil when it cannot be read or has none.
    public static func names(inFileAt path: String) -> [String]? {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else { return nil }
        return names(in: text)
    }

    /// `names` as Ultralytics reads it back: a mapping with every name double-quoted.
    public static func namesBlock(_ names: [String]) -> String {
        var text = "names:\n"
        for (index, name) in names.enumerated() { text += "  \(index): \(quoted(name))\n" }
        return text
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
