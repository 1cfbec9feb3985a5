// The stable names of the editor's actions, as the keymap file (keys.conf) spells them.
// One switch: a new action gets its name here (the compiler asks for it).

extension EditorAction {
    /// "next-image", "find-objects", "candidate-2"…
    public var name: String {
        switch self {
        case .moveCursor(let columns, let rows):
            let far = max(abs(columns), abs(rows)) > 1 ? "-far" : ""
            switch (columns.signum(), rows.signum()) {
            case (-1, 0): return "move-left" + far
            case (1, 0): return "move-right" + far
            case (0, -1): return "move-up" + far
            case (0, 1): return "move-down" + far
            default: return "move-\(columns)-\(rows)"
            }
        case .placePoint(let foreground): return foreground ? "foreground-point" : "background-point"
        case .toggleBox: return "box"
        case .removeNearestPoint: return "remove-point"
        case .undo: return "undo"
        case .redo: return "redo"
        case .clearPrompts: return "clear-prompts"
        case .nextCandidate: return "next-candidate"
        case .selectCandidate(let index): return "candidate-\(index + 1)"
        case .toggleMultimask: return "multimask"
        case .acceptObject: return "accept-object"
        case .renameObject: return "rename-object"
        case .pickClass: return "pick-class"
        case .previousObject: return "previous-object"
        case .nextObject: return "next-object"
        case .deleteObject: return "delete-object"
        case .toggleOverlay: return "overlay"
        case .toggleOutline: return "outline"
        case .zoomIn: return "zoom-in"
        case .zoomOut: return "zoom-out"
        case .zoomToFit: return "zoom-fit"
        case .pan(let columns, let rows):
            switch (columns.signum(), rows.signum()) {
            case (-1, 0): return "pan-left"
            case (1, 0): return "pan-right"
            case (0, -1): return "pan-up"
            case (0, 1): return "pan-down"
            default: return "pan-\(columns)-\(rows)"
            }
        case .toggleShowOnlySelected: return "only-selected"
        case .nextImage: return "next-image"
        case .previousImage: return "previous-image"
        case .export: return "export"
        case .findObjects: return "find-objects"
        case .lowerAutomaticThresholds: return "lower-thresholds"
        case .moreLikeThis: return "more-like-this"
        case .similarObjects: return "similar-objects"
        case .describeObject: return "describe"
        case .togglePaintMode: return "paint-mode"
        case .penDown(let erases): return erases ? "pen-erase" : "pen-paint"
        case .brushSize(let larger): return larger ? "brush-larger" : "brush-smaller"
        case .fillHoles: return "fill-holes"
        case .removeIslands: return "remove-islands"
        case .setCleanupArea(let holes): return holes ? "hole-area" : "island-area"
        case .refineFromMask: return "refine"
        case .toggleNoOverlaps: return "no-overlaps"
        case .quit: return "quit"
        case .showHelp: return "help"
        case .cancel: return "cancel"
        case .interrupt: return "interrupt"
        }
    }

    /// Every action a key can be bound to (those of the default keymap), in its order.
    public static var all: [EditorAction] {
        var seen: [EditorAction] = []
        for binding in Keymap.bindings where !seen.contains(binding.action) { seen.append(binding.action) }
        return seen
    }

    /// The action with this name, if there is one.
    public static func named(_ name: String) -> EditorAction? {
        all.first { $0.name == name }
    }
}
