// The user's keymap file, `$XDG_CONFIG_HOME/samterm/keys.conf`: lines `action = key [key…]`,
// `#` comments. Checked whole on load; any mistake is an error naming the file and line, so a
// typo never passes silently.
import Foundation

/// One line of the file: the keys an action gets instead of its default ones.
public struct KeymapOverride: Equatable, Sendable {
    public var action: EditorAction
    public var keys: [Key]
    public var line: Int
}

public struct KeymapFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
}

public enum KeymapFile {
    /// `$XDG_CONFIG_HOME/samterm/keys.conf`, or `~/.config/samterm/keys.conf`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") {
            return config + "/samterm/keys.conf"
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.config/samterm/keys.conf"
    }

    /// The active keymap: the defaults with the file at `path` applied. A missing file is
    /// fine unless `required` (the user named it); anything wrong in it throws.
    public static func load(path: String, required: Bool) throws -> ActiveKeymap {
        guard FileManager.default.fileExists(atPath: path) else {
            if required { throw KeymapFileError(description: "\(path): no such file") }
            return .standard
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KeymapFileError(description: "\(path): cannot be read as UTF-8 text (\(error.localizedDescription))")
        }
        return ActiveKeymap.standard.applying(try parse(text, path: path))
    }

    /// The overrides the file's text asks for; `path` names it in errors.
    public static func parse(_ text: String, path: String) throws -> [KeymapOverride] {
        var overrides: [KeymapOverride] = []
        var keyLines: [Key: (line: Int, action: String)] = [:]
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            func fail(_ reason: String) -> KeymapFileError { KeymapFileError(description: "\(path):\(number): \(reason)") }
            let line = raw.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw fail("expected `action = key`, found \"\(line)\"")
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            let keyNames = line[line.index(after: equals)...].split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let action = EditorAction.named(name) else {
                throw fail("unknown action \"\(name)\"; the actions are: "
                           + EditorAction.all.map(\.name).joined(separator: ", "))
            }
            if let earlier = overrides.first(where: { $0.action == action }) {
                throw fail("\(name) is set twice (first on line \(earlier.line))")
            }
            guard !keyNames.isEmpty else { throw fail("no key given for \(name)") }
            var keys: [Key] = []
            for keyName in keyNames {
                guard let key = Key(name: keyName) else {
                    throw fail("unknown key \"\(keyName)\" for \(name); a key is " + Key.nameSyntax)
                }
                if let earlier = keyLines[key] {
                    let whereEarlier = earlier.line == number ? "on this line" : "on line \(earlier.line)"
                    throw fail("key \"\(keyName)\" is bound twice (to \(earlier.action) \(whereEarlier), and to \(name))")
                }
                keyLines[key] = (number, name)
                keys.append(key)
            }
            overrides.append(KeymapOverride(action: action, keys: keys, line: number))
        }
        return overrides
    }
}
