// The update's classes: `L` picks the current object's class from a list that filters as one
// types (new names allowed unless the list is fixed), and `n` hands the class on to the next
// object.
import Segmentation

/// The class picker's state: what was typed, and which of the matching choices is highlighted.
public struct ClassPicker: Equatable, Sendable {
    public var filter = ""
    public var selection = 0

    public init(filter: String = "", selection: Int = 0) {
        self.filter = filter
        self.selection = selection
    }
}

/// One line of the picker: a known class, or the typed name as a new one.
public enum ClassChoice: Equatable, Sendable {
    case known(String)
    case new(String)

    public var name: String {
        switch self {
        case .known(let name), .new(let name): return name
        }
    }
}

extension EditorState {
    /// The fixed class list of the image on screen (`--classes`, else its session's), if any.
    public var fixedClasses: [String]? { setup.classes ?? document.classes }

    /// The classes to pick from: the fixed list, else every class used or listed in the images
    /// opened, in the order first met.
    public var knownClasses: [String] {
        if let fixed = fixedClasses { return fixed }
        var names: [String] = []
        for image in images {
            for name in (image.classes ?? []) + image.objects.compactMap(\.category) where !names.contains(name) {
                names.append(name)
            }
        }
        return names
    }

    /// The picker's lines for `filter`: known classes containing it (case-insensitive), then the
    /// typed name as a new class when nothing matches it exactly and the list is not fixed.
    public func classChoices(filter: String) -> [ClassChoice] {
        let typed = filter.trimmingCharacters(in: .whitespaces)
        let matching = knownClasses.filter { typed.isEmpty || $0.localizedCaseInsensitiveContains(typed) }
        var choices = matching.map(ClassChoice.known)
        if !typed.isEmpty, fixedClasses == nil, !knownClasses.contains(typed) { choices.append(.new(typed)) }
        return choices
    }

    /// `L`: opens the picker on the current object's class.
    mutating func pickClass() -> [EditorEffect] {
        guard viewport != nil else { return notReady() }
        ensureCurrentObject()
        let current = currentObject?.category
        let choices = classChoices(filter: "")
        mode = .pickingClass(ClassPicker(filter: "", selection: current.flatMap { choices.firstIndex(of: .known($0)) } ?? 0))
        return []
    }

    /// A key while the picker is up.
    mutating func answerClassPicker(_ picker: ClassPicker, key: Key) -> [EditorEffect] {
        var picker = picker
        let choices = classChoices(filter: picker.filter)
        switch key {
        case .enter:
            mode = .normal
            guard choices.indices.contains(picker.selection) else {
                if let fixed = fixedClasses, !picker.filter.isEmpty {
                    return sayError("\"\(picker.filter)\" is not in the class list (\(fixed.prefix(6).joined(separator: ", "))\(fixed.count > 6 ? ", …" : ""))")
                }
                return say("No class chosen")
            }
            return setCurrentClass(choices[picker.selection].name)
        case .escape, .control("c"):
            mode = .normal
            return say("Class unchanged")
        case .up:
            picker.selection = max(0, picker.selection - 1)
        case .down:
            picker.selection = min(max(choices.count - 1, 0), picker.selection + 1)
        case .backspace:
            picker.filter = String(picker.filter.dropLast())
            picker.selection = 0
        case .character(let character) where !character.isNewline && picker.filter.count < 60:
            picker.filter += String(character)
            picker.selection = 0
        default:
            break
        }
        mode = .pickingClass(picker)
        return []
    }

    /// Gives the current object its class: an undoable change, saved.
    mutating func setCurrentClass(_ name: String) -> [EditorEffect] {
        guard let object = currentObject else { return [] }
        guard object.category != name else { return say("\(object.displayName) is already \(name)") }
        let before = document.snapshot()
        modifyCurrentObject { $0.category = name }
        recordChange("class \(name) for \(HistoryEntry.objectName)", object: object.id, from: before)
        document.hasUnsavedChanges = true
        say("\(object.displayName): \(name)")
        return autosave(image: currentImage)
    }
}
