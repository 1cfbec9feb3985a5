// The keymap the editor runs with: Keymap.bindings with the user's keys.conf applied. The
// dispatch and the help both read it, so the help shows the keys that work.

public struct ActiveKeymap: Sendable {
    /// The bindings in the default table's order, with the keys now in force.
    public private(set) var bindings: [KeyBinding]
    /// Which bindings' keys differ from the defaults (their help labels are rebuilt).
    private var changed: Set<Int> = []
    private var table: [Key: EditorAction] = [:]

    public static let standard = ActiveKeymap(bindings: Keymap.bindings)

    init(bindings: [KeyBinding]) {
        self.bindings = bindings
        rebuildTable()
    }

    private mutating func rebuildTable() {
        table = [:]
        for binding in bindings {
            for key in binding.keys where table[key] == nil { table[key] = binding.action }
        }
    }

    public func action(for key: Key) -> EditorAction? { table[key] }

    /// The keys of `action` now.
    public func keys(for action: EditorAction) -> [Key] {
        bindings.filter { $0.action == action }.flatMap(\.keys)
    }

    /// Each override's action gets its keys instead of its defaults; a key it takes leaves the
    /// action that had it by default.
    public func applying(_ overrides: [KeymapOverride]) -> ActiveKeymap {
        var next = self
        let taken = Set(overrides.flatMap(\.keys))
        for index in next.bindings.indices {
            let action = next.bindings[index].action
            var keys = next.bindings[index].keys
            if let override = overrides.first(where: { $0.action == action }) {
                // An action may sit in several rows; its keys go to the first.
                let first = next.bindings.firstIndex { $0.action == action } == index
                keys = first ? override.keys : []
            } else {
                keys.removeAll { taken.contains($0) }
            }
            if keys != next.bindings[index].keys {
                next.bindings[index].keys = keys
                next.changed.insert(index)
            }
        }
        next.rebuildTable()
        return next
    }

    /// The help overlay's lines: "keys  what they do", one binding group per line (a labelled
    /// binding and the unlabelled ones after it); a group with changed keys is labelled with
    /// the keys themselves.
    public var helpLines: [String] {
        var groups: [(label: String, help: String)] = []
        var index = 0
        while index < bindings.count {
            var end = index + 1
            while end < bindings.count && bindings[end].label.isEmpty { end += 1 }
            let group = index..<end
            if !bindings[index].label.isEmpty {
                var label = bindings[index].label
                if group.contains(where: changed.contains) {
                    let keys = group.flatMap { bindings[$0].keys }.map(\.displayName)
                    label = keys.isEmpty ? "(no key)" : keys.joined(separator: " ")
                }
                groups.append((label, bindings[index].help))
            }
            index = end
        }
        let width = groups.map(\.label.count).max() ?? 0
        var lines = groups.map { $0.label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.help }
        lines.append("mouse".padding(toLength: width, withPad: " ", startingAt: 0) + "  left: foreground, right: background, drag: box")
        lines.append("".padding(toLength: width, withPad: " ", startingAt: 0) + "  wheel: zoom at the pointer")
        lines.append("".padding(toLength: width, withPad: " ", startingAt: 0) + "  middle or Shift+left drag: pan")
        return lines
    }
}
