// The update's type-ahead: keys and clicks that need an answer still being predicted wait for
// it, in order, so that a burst of input ends where typing it slowly would.
//
// Why waiting and not predicting at once: a refining click feeds the shown candidate's logits
// back as the mask input, `n` keeps the shown mask, Tab picks among the shown candidates,
// export saves the shown steps, and switching images drops the old image's requests. Each of
// these reads the answer of the prediction in flight. (Waiting also means an object never has two
// requests out, so the worker's "newest request wins" never skips a prompt that matters.)
//
// The rule: an input waits when it depends on a pending prediction (see `PredictionDependence`),
// and once one waits every later input waits behind it, since a key's meaning can depend on what
// came before (a cursor move typed after `n` moves the point of the next object, not this one).
// Likewise keys that need the image on screen wait while it loads (typed after `]`, or before
// the first image showed).
// The queue drains, in order, after every background event; an input that must wait again stops
// it. Escape drops the waiting inputs; Ctrl-C drops them and asks to quit at once.
import Segmentation

/// A key or a mouse report, kept until it can be applied.
enum WaitingInput: Sendable {
    case key(Key)
    case mouse(MouseInput)
}

/// Which pending prediction an action needs the answer of.
enum PredictionDependence {
    /// None: it can apply at once.
    case none
    /// The current object's: the action reads or changes its candidates or prompts.
    case currentObject
    /// Any object's of the current image: the action reads all of them, or leaves the image.
    case currentImage
}

extension EditorAction {
    var dependence: PredictionDependence {
        switch self {
        case .placePoint, .toggleBox, .removeNearestPoint, .clearPrompts,
             .nextCandidate, .selectCandidate, .toggleMultimask, .acceptObject:
            return .currentObject
        // Strokes and clean-ups apply to the mask shown: the one the pending prediction brings.
        case .penDown, .fillHoles, .removeIslands, .refineFromMask:
            return .currentObject
        // Likeness is the mask's: the one the pending prediction brings.
        case .moreLikeThis, .similarObjects, .describeObject:
            return .currentObject
        // Undo and redo restore and keep the whole image, every object's candidates included.
        case .export, .nextImage, .previousImage, .undo, .redo:
            return .currentImage
        // Naming, selecting and deleting an object, and viewing, do not read candidates; `A`
        // runs beside predictions; quitting asks about exports only.
        case .moveCursor, .renameObject, .pickClass, .previousObject, .nextObject, .deleteObject, .toggleOverlay,
             .toggleOutline, .zoomIn, .zoomOut, .zoomToFit, .findObjects, .quit, .showHelp, .cancel, .interrupt,
             .lowerAutomaticThresholds, .pan, .toggleShowOnlySelected,
             .togglePaintMode, .brushSize, .setCleanupArea, .toggleNoOverlaps:
            return .none
        }
    }

    /// Whether the action does nothing without the image on screen (the cursor lives on it).
    var needsImage: Bool {
        switch self {
        case .moveCursor, .placePoint, .toggleBox, .renameObject, .pickClass, .zoomIn, .zoomOut, .zoomToFit, .pan, .penDown: return true
        default: return false
        }
    }
}

extension EditorState {
    /// Inputs typed ahead, waiting for a prediction; shown in the status line.
    public var waitingInputCount: Int { waitingInputs.count }

    /// A key or mouse report from the terminal: applied now, or queued behind a prediction.
    mutating func receive(_ input: WaitingInput) -> [EditorEffect] {
        if !waitingInputs.isEmpty {
            if case .key(.escape) = input { return dropWaitingInputs() }
            if case .key(.control("c")) = input {
                dropWaitingInputs()
                return applyInput(input)
            }
            waitingInputs.append(input)
            return []
        }
        if mustWait(input) {
            waitingInputs.append(input)
            return []
        }
        return applyInput(input)
    }

    /// Applies the waiting inputs that no longer wait, oldest first, until one must wait again.
    mutating func applyWaitingInputs() -> [EditorEffect] {
        var effects: [EditorEffect] = []
        while let input = waitingInputs.first, !mustWait(input) {
            waitingInputs.removeFirst()
            effects += applyInput(input)
        }
        return effects
    }

    @discardableResult
    private mutating func dropWaitingInputs() -> [EditorEffect] {
        let count = waitingInputs.count
        waitingInputs.removeAll()
        return say("Dropped \(Self.counted(count, "waiting key"))")
    }

    private mutating func applyInput(_ input: WaitingInput) -> [EditorEffect] {
        switch input {
        case .key(let key): return handleKey(key)
        case .mouse(let mouse): return handleMouse(mouse)
        }
    }

    /// Whether the input needs the answer of a prediction still pending. Dialogs take keys as
    /// answers, which need no prediction.
    private func mustWait(_ input: WaitingInput) -> Bool {
        guard mode == .normal else { return false }
        let dependence: PredictionDependence
        let needsImage: Bool
        switch input {
        case .key(let key):
            let action = keymap.action(for: key)
            dependence = action?.dependence ?? .none
            needsImage = action?.needsImage ?? false
        case .mouse(let mouse):
            // The wheel zooms; presses, releases and clicks place points or draw boxes.
            dependence = mouse.button == .wheelUp || mouse.button == .wheelDown ? .none : .currentObject
            needsImage = true
        }
        // Typed after `]` (or before the first image showed): the image is on its way.
        if needsImage && isLoadingImage { return true }
        switch dependence {
        case .none:
            return false
        case .currentObject:
            return currentObject?.isPredicting ?? false
        case .currentImage:
            return document.objects.contains { $0.isPredicting }
        }
    }
}

extension EditorState {
    /// The current image's pixels are coming: no viewport yet, and no failure.
    var isLoadingImage: Bool {
        guard viewport == nil else { return false }
        if case .failed = document.loading { return false }
        return true
    }
}

extension EditorObject {
    var isPredicting: Bool {
        if case .pending = prediction { return true }
        return false
    }
}
