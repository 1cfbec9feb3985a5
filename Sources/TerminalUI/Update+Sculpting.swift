// The update's mask sculpting: paint mode and the brush, strokes (a disc, or a path while the
// pen is down), filling holes and removing islands, refining from the edited mask, and keeping
// objects from overlapping. Edits are a layer over the object's prediction (MaskEdit,
// SculptedMasks); each stroke or clean-up is one step of the image's undo history.
import Segmentation

/// A stroke being drawn: its object, and whether it erases.
struct Pen: Equatable, Sendable {
    var objectID: Int
    var erases: Bool
}

extension EditorAction {
    /// Actions that leave a stroke being drawn going: moving the crosshair or the view under it.
    var keepsThePenDown: Bool {
        switch self {
        case .moveCursor, .pan, .zoomIn, .zoomOut, .zoomToFit, .togglePaintMode, .cancel: return true
        default: return false
        }
    }
}

extension EditorState {
    /// The brush's radius in image pixels: the one set with `{` `}`, else about a hundredth of
    /// the image's long side.
    public var currentBrushRadius: Double {
        if let brushRadius { return brushRadius }
        let longSide = max(document.width ?? 0, document.height ?? 0)
        return max((Double(longSide) / 100).rounded(), 2)
    }

    /// `p`: paint mode on or off; with the pen down, `p` lifts it first.
    mutating func togglePaintMode() -> [EditorEffect] {
        if pen != nil { return liftPen() }
        paintMode.toggle()
        return say(paintMode ? "Paint mode: Space paints, x erases, P / X trace (p or Esc lifts), { } brush size; p leaves"
                             : "Paint mode off")
    }

    /// `{` `}`: the brush a quarter smaller or larger, within [1, half the image's long side].
    mutating func changeBrush(larger: Bool) -> [EditorEffect] {
        let longSide = Double(max(document.width ?? 0, document.height ?? 0, 2))
        let old = currentBrushRadius
        // At least a pixel's change, so small brushes still grow and shrink.
        let stepped = larger ? max((old * 1.25).rounded(), old + 1) : min((old * 0.8).rounded(), old - 1)
        brushRadius = min(max(stepped, 1), max((longSide / 2).rounded(), 1))
        if brushRadius == old { return say(larger ? "The brush is at its largest" : "The brush is at its smallest") }
        return say(String(format: "Brush radius %.0f px", currentBrushRadius))
    }

    /// Space / x in paint mode, a click there: one disc at the crosshair, painted or erased.
    mutating func paintDisc(erases: Bool) -> [EditorEffect] {
        guard viewport != nil else { return notReady() }
        return addStroke(erases: erases, label: erases ? "erase on " : "paint on ")
    }

    /// `P` / `X`, a drag in paint mode: the stroke starts at the crosshair and follows it until
    /// the pen is lifted; the whole path is one edit, one undo step.
    mutating func putPenDown(erases: Bool) -> [EditorEffect] {
        guard viewport != nil else { return notReady() }
        paintMode = true
        let effects = addStroke(erases: erases, label: erases ? "erase stroke on " : "paint stroke on ")
        if let object = currentObject { pen = Pen(objectID: object.id, erases: erases) }
        say(erases ? "Erasing: move to erase along the path; p or Esc lifts the pen"
                   : "Painting: move to paint along the path; p or Esc lifts the pen")
        return effects
    }

    /// Ends the stroke being drawn, and saves it.
    mutating func liftPen() -> [EditorEffect] {
        guard let lifted = pen else { return [] }
        pen = nil
        let points = document.objects.first { $0.id == lifted.objectID }.flatMap { object -> Int? in
            guard case .stroke(let stroke)? = object.edits.last else { return nil }
            return stroke.path.count
        } ?? 0
        say("Pen lifted: \(lifted.erases ? "erased" : "painted") along \(Self.counted(points, "point"))")
        return autosave(image: currentImage)
    }

    /// The crosshair moved: a stroke being drawn follows it.
    mutating func extendStroke() {
        guard let pen, let index = document.objects.firstIndex(where: { $0.id == pen.objectID }),
              case .stroke(var stroke)? = document.objects[index].edits.last else { return }
        let point = MaskEdit.StrokePoint(x: cursor.x, y: cursor.y)
        guard stroke.path.last != point else { return }
        stroke.path.append(point)
        images[currentImage].objects[index].edits[images[currentImage].objects[index].edits.count - 1] = .stroke(stroke)
        document.hasUnsavedChanges = true
    }

    private mutating func addStroke(erases: Bool, label: String) -> [EditorEffect] {
        let before = document.snapshot()
        ensureCurrentObject()
        let stroke = MaskEdit.Stroke(path: [MaskEdit.StrokePoint(x: cursor.x, y: cursor.y)], radius: currentBrushRadius, erases: erases)
        guard let id = modifyCurrentObject({ object -> Int in
            object.edits.append(.stroke(stroke))
            return object.id
        }) else { return [] }
        recordChange(label + HistoryEntry.objectName, object: id, from: before)
        document.hasUnsavedChanges = true
        return autosave(image: currentImage)
    }

    /// `f` / `i`: holes or islands smaller than the area (pixels of the image) cleaned from the
    /// object's mask, the official `remove_small_regions` way; nothing is recorded when there is
    /// none to clean.
    mutating func cleanUp(_ mode: SmallRegionMode) -> [EditorEffect] {
        guard let object = currentObject, object.hasMask, let width = document.width, let height = document.height else {
            return say("Nothing to clean up: the object has no mask yet")
        }
        images[currentImage].refreshMasks(nextVersion: &nextMaskVersion)
        guard let sculpted = currentObject?.sculptedMask, let source = currentObject?.sculptedFrom else {
            return say("Nothing to clean up: the object has no mask yet")
        }
        let area = mode == .holes ? holeArea : islandArea
        let edit: MaskEdit = mode == .holes ? .fillHoles(area: area) : .removeIslands(area: area)
        let what = mode == .holes ? "holes" : "islands"
        let cleaned = MaskSculpting.apply(edit, to: sculpted, imageWidth: width, imageHeight: height)
        guard cleaned != sculpted else {
            return say("No \(what) under \(area) px in \(object.displayName) (\(mode == .holes ? "F" : "I") sets the area)")
        }
        let before = document.snapshot()
        modifyCurrentObject { object in
            object.edits.append(edit)
            // Already applied: the refresh after this update has nothing to redo.
            object.sculptedMask = cleaned
            object.sculptedFrom = SculptSource(candidate: source.candidate, width: source.width, height: source.height,
                                               edits: object.edits)
        }
        images[currentImage].shownMasksKey = nil  // the shown masks follow the sculpted one
        recordChange("\(edit.label) in \(HistoryEntry.objectName)", object: object.id, from: before)
        document.hasUnsavedChanges = true
        say(mode == .holes ? "Filled holes under \(area) px in \(object.displayName)"
                           : "Removed islands under \(area) px from \(object.displayName)")
        return autosave(image: currentImage)
    }

    /// `F` / `I`: asks for the area.
    mutating func askCleanupArea(holes: Bool) -> [EditorEffect] {
        mode = .enteringArea(holes: holes, text: String(holes ? holeArea : islandArea))
        return []
    }

    /// A key while typing the area: digits, Backspace, Enter keeps it, Esc leaves it.
    mutating func editCleanupArea(_ text: String, holes: Bool, key: Key) -> [EditorEffect] {
        switch key {
        case .enter:
            mode = .normal
            guard let area = Int(text), area >= 0 else { return sayError("The area is a whole number of pixels, not \"\(text)\"") }
            if holes { holeArea = area } else { islandArea = area }
            return say("\(holes ? "f fills holes" : "i removes islands") under \(area) px")
        case .escape, .control("c"):
            mode = .normal
            return say("Area unchanged")
        case .backspace:
            mode = .enteringArea(holes: holes, text: String(text.dropLast()))
        case .character(let character) where character.isASCII && character.isNumber && text.count < 9:
            mode = .enteringArea(holes: holes, text: text + String(character))
        default:
            break
        }
        return []
    }

    /// `r`: the object's prompt predicted again with its edited mask as the mask input (the
    /// engine makes the logits from the mask shown, which is the editing size); the edits stay
    /// on top of the new prediction.
    mutating func refineFromEditedMask() -> [EditorEffect] {
        guard let object = currentObject, !object.prompting.isEmpty, !object.candidates.isEmpty,
              let origin = object.candidatesOrigin else {
            return say("r refines a predicted mask: click the object first")
        }
        guard !object.edits.isEmpty else { return say("Nothing to refine from: paint, erase or clean up the mask first") }
        images[currentImage].refreshMasks(nextVersion: &nextMaskVersion)
        guard let edited = currentObject?.sculptedMask else { return say("r refines a predicted mask: click the object first") }
        let before = document.snapshot()
        let always = multimaskAlways
        modifyCurrentObject { object in
            object.lineage = origin.steps(choosing: object.chosen)
            object.prompting.maskInput = nil  // the engine's logits of the edited mask, with the answer
            object.prompting.multimask = always
            object.maskInputEdits = object.edits.count
            object.awaitingReplay = false
        }
        recordChange("refine \(HistoryEntry.objectName) from its edited mask", object: object.id, from: before)
        document.hasUnsavedChanges = true
        guard var request = predictRequest(forCurrentObjectKeeping: nil) else { return [] }
        request.editedMask = edited
        say("Refining \(object.displayName) from its edited mask…")
        return [.predict(request)] + autosave(image: currentImage)
    }

    /// `v`: each object's mask leaves out the objects before it (the first wins), or not.
    mutating func toggleNoOverlaps() -> [EditorEffect] {
        images[currentImage].noOverlaps.toggle()
        document.hasUnsavedChanges = true
        say(document.noOverlaps ? "No overlaps: each object leaves out the pixels of the objects before it"
                                : "Overlaps allowed: each object keeps its whole mask")
        return autosave(image: currentImage)
    }
}
