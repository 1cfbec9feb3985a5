// The default key bindings: one table serves both the dispatch and the help overlay.

/// What a key in the normal mode asks for.
public enum EditorAction: Equatable, Sendable {
    case moveCursor(columns: Int, rows: Int)
    case placePoint(foreground: Bool)
    case toggleBox
    case removeNearestPoint
    case undo
    case redo
    case clearPrompts
    case nextCandidate
    case selectCandidate(Int)
    case toggleMultimask
    case acceptObject
    case renameObject
    case pickClass
    case previousObject
    case nextObject
    case deleteObject
    case toggleOverlay
    case toggleOutline
    case zoomIn
    case zoomOut
    case zoomToFit
    /// Pans a quarter of the view in this direction (-1, 0 or 1 on each axis).
    case pan(columns: Int, rows: Int)
    case toggleShowOnlySelected
    case nextImage
    case previousImage
    case export
    case findObjects
    case lowerAutomaticThresholds
    /// Ranks the image's automatic masks by likeness to the current object (Update+MoreLikeThis).
    case moreLikeThis
    /// Lists the objects of other images in the index most like the current one (Update+SimilarObjects).
    case similarObjects
    /// Hands the object's cut-out to a command (Update+Describe).
    case describeObject
    /// Paint mode on / off (in it, the point keys paint and erase discs; Update+Sculpting).
    case togglePaintMode
    /// Puts the pen down: moving the crosshair paints (or erases) along the path.
    case penDown(erases: Bool)
    case brushSize(larger: Bool)
    case fillHoles
    case removeIslands
    /// Asks for the area below which holes (or islands) are cleaned up.
    case setCleanupArea(holes: Bool)
    /// Predicts again with the edited mask as the mask input.
    case refineFromMask
    case toggleNoOverlaps
    case quit
    case showHelp
    case cancel
    case interrupt
}

public struct KeyBinding: Sendable {
    public var keys: [Key]
    /// The keys as the help overlay names them.
    public var label: String
    public var action: EditorAction
    public var help: String
}

public enum Keymap {
    /// Cells a cursor step covers with Shift held.
    public static let bigStep = 10

    public static let bindings: [KeyBinding] = [
        KeyBinding(keys: [.left, .character("h")], label: "←↓↑→ hjkl", action: .moveCursor(columns: -1, rows: 0), help: "move the cursor"),
        KeyBinding(keys: [.down, .character("j")], label: "", action: .moveCursor(columns: 0, rows: 1), help: ""),
        KeyBinding(keys: [.up, .character("k")], label: "", action: .moveCursor(columns: 0, rows: -1), help: ""),
        KeyBinding(keys: [.right, .character("l")], label: "", action: .moveCursor(columns: 1, rows: 0), help: ""),
        KeyBinding(keys: [.shiftLeft, .character("H")], label: "Shift+move", action: .moveCursor(columns: -bigStep, rows: 0), help: "move 10 cells"),
        KeyBinding(keys: [.shiftDown, .character("J")], label: "", action: .moveCursor(columns: 0, rows: bigStep), help: ""),
        KeyBinding(keys: [.shiftUp, .character("K")], label: "", action: .moveCursor(columns: 0, rows: -bigStep), help: ""),
        // `L` picks a class (the datasets' key): far right is Shift+→ alone.
        KeyBinding(keys: [.shiftRight], label: "", action: .moveCursor(columns: bigStep, rows: 0), help: ""),
        KeyBinding(keys: [.character(" "), .enter], label: "Space Enter", action: .placePoint(foreground: true),
                   help: "foreground point (paint mode: paint a disc)"),
        KeyBinding(keys: [.character("x")], label: "x", action: .placePoint(foreground: false),
                   help: "background point (paint mode: erase a disc)"),
        KeyBinding(keys: [.character("b")], label: "b", action: .toggleBox, help: "start / finish a box"),
        KeyBinding(keys: [.character("d")], label: "d", action: .removeNearestPoint, help: "remove the nearest point"),
        KeyBinding(keys: [.character("u")], label: "u", action: .undo, help: "undo"),
        KeyBinding(keys: [.control("r")], label: "Ctrl-R", action: .redo, help: "redo"),
        KeyBinding(keys: [.character("c")], label: "c", action: .clearPrompts, help: "clear the object's prompts"),
        KeyBinding(keys: [.tab], label: "Tab 1 2 3", action: .nextCandidate, help: "pick a candidate"),
        KeyBinding(keys: [.character("1")], label: "", action: .selectCandidate(0), help: ""),
        KeyBinding(keys: [.character("2")], label: "", action: .selectCandidate(1), help: ""),
        KeyBinding(keys: [.character("3")], label: "", action: .selectCandidate(2), help: ""),
        KeyBinding(keys: [.character("m")], label: "m", action: .toggleMultimask, help: "multimask on / off"),
        KeyBinding(keys: [.character("n")], label: "n", action: .acceptObject, help: "accept, start a new object"),
        KeyBinding(keys: [.character("N")], label: "N", action: .renameObject, help: "name the object"),
        KeyBinding(keys: [.character("L")], label: "L", action: .pickClass, help: "pick the object's class"),
        KeyBinding(keys: [.character(","), .pageUp], label: ", .", action: .previousObject, help: "previous / next object"),
        KeyBinding(keys: [.character("."), .pageDown], label: "", action: .nextObject, help: ""),
        KeyBinding(keys: [.delete], label: "Delete", action: .deleteObject, help: "delete the object"),
        KeyBinding(keys: [.character("o")], label: "o", action: .toggleOverlay, help: "overlay on / off"),
        KeyBinding(keys: [.character("O")], label: "O", action: .toggleOutline, help: "outline mode"),
        KeyBinding(keys: [.character("+"), .character("=")], label: "+ -", action: .zoomIn, help: "zoom in / out"),
        KeyBinding(keys: [.character("-"), .character("_")], label: "", action: .zoomOut, help: ""),
        KeyBinding(keys: [.character("0")], label: "0", action: .zoomToFit, help: "fit the image"),
        KeyBinding(keys: [.controlLeft], label: "Ctrl+←↓↑→", action: .pan(columns: -1, rows: 0), help: "pan the view"),
        KeyBinding(keys: [.controlDown], label: "", action: .pan(columns: 0, rows: 1), help: ""),
        KeyBinding(keys: [.controlUp], label: "", action: .pan(columns: 0, rows: -1), help: ""),
        KeyBinding(keys: [.controlRight], label: "", action: .pan(columns: 1, rows: 0), help: ""),
        KeyBinding(keys: [.character("w")], label: "w", action: .toggleShowOnlySelected, help: "show only the selected object"),
        KeyBinding(keys: [.character("]")], label: "] [", action: .nextImage, help: "next / previous image"),
        KeyBinding(keys: [.character("[")], label: "", action: .previousImage, help: ""),
        KeyBinding(keys: [.character("e")], label: "e", action: .export, help: "export: choose formats, images, Enter"),
        KeyBinding(keys: [.character("A")], label: "A", action: .findObjects,
                   help: "find every object (automatic masks); a click on an outline adopts it"),
        KeyBinding(keys: [.character("t")], label: "t", action: .lowerAutomaticThresholds,
                   help: "lower the automatic masks' IoU / stability thresholds (A runs with them)"),
        KeyBinding(keys: [.character("s")], label: "s", action: .moreLikeThis,
                   help: "more like this: the image's automatic masks most like the object"),
        KeyBinding(keys: [.character("S")], label: "S", action: .similarObjects,
                   help: "similar objects in the other images of the index"),
        KeyBinding(keys: [.character("!")], label: "!", action: .describeObject,
                   help: "hand the object's cut-out to a command (e.g. a local VLM)"),
        KeyBinding(keys: [.character("p")], label: "p", action: .togglePaintMode, help: "paint mode on / off (lifts the pen)"),
        KeyBinding(keys: [.character("P")], label: "P X", action: .penDown(erases: false),
                   help: "pen down: moving paints / erases (p, Esc lift it)"),
        KeyBinding(keys: [.character("X")], label: "", action: .penDown(erases: true), help: ""),
        KeyBinding(keys: [.character("{")], label: "{ }", action: .brushSize(larger: false), help: "brush smaller / larger"),
        KeyBinding(keys: [.character("}")], label: "", action: .brushSize(larger: true), help: ""),
        KeyBinding(keys: [.character("f")], label: "f i", action: .fillHoles, help: "fill holes / remove islands"),
        KeyBinding(keys: [.character("i")], label: "", action: .removeIslands, help: ""),
        KeyBinding(keys: [.character("F")], label: "F I", action: .setCleanupArea(holes: true),
                   help: "set the hole / island area (pixels)"),
        KeyBinding(keys: [.character("I")], label: "", action: .setCleanupArea(holes: false), help: ""),
        KeyBinding(keys: [.character("r")], label: "r", action: .refineFromMask, help: "refine from the edited mask"),
        KeyBinding(keys: [.character("v")], label: "v", action: .toggleNoOverlaps, help: "no overlaps: the first object wins"),
        KeyBinding(keys: [.character("?")], label: "?", action: .showHelp, help: "this help"),
        KeyBinding(keys: [.escape], label: "Esc", action: .cancel, help: "cancel a box, close"),
        KeyBinding(keys: [.character("q")], label: "q", action: .quit, help: "quit"),
        KeyBinding(keys: [.control("c")], label: "", action: .interrupt, help: ""),
    ]

    /// The default map's help lines (the editor shows its active map's).
    public static var helpLines: [String] { ActiveKeymap.standard.helpLines }
}
