// The editor's transitions: update(state, event) -> (state, effects), and nothing else happens.
//
// This file routes each event and each keymap action to the part of the update that owns it,
// one concern a file, each an extension of the state returning its effects as values:
// Update+Prompts (prompts and candidates), Update+Objects, Update+Images (images and encoding),
// Update+View (cursor, zoom, overlay), Update+Sessions (sessions and export),
// Update+AutomaticMasks, Update+Dialogs (the questions and the help), Update+ExportDialog,
// Update+Mouse, Update+History (undo and redo), Update+Messages, Update+Video (a video's frames and tracking).
import Segmentation

/// The pure core: the state after `event`, and what the world should do about it.
public func update(_ state: EditorState, _ event: EditorEvent) -> (EditorState, [EditorEffect]) {
    var next = state
    let effects = next.apply(event)
    return (next, effects)
}

extension EditorState {
    /// `update` in place, for the main loop.
    public mutating func apply(_ event: EditorEvent) -> [EditorEffect] {
        // The worker only echoes indices the editor gave it; anything else changes nothing.
        if let index = event.changedImage, !images.indices.contains(index) { return [] }
        let effects: [EditorEffect]
        switch event {
        case .key(let key):
            effects = receive(.key(key))
        case .mouse(let input):
            effects = receive(.mouse(input))
        default:
            // Any answer may be the one typed-ahead input waits for (Update+TypeAhead).
            let routed = route(event)
            effects = waitingInputs.isEmpty ? routed : routed + applyWaitingInputs()
        }
        for index in images.indices { images[index].refreshMasks(nextVersion: &nextMaskVersion) }
        return effects
    }

    /// The events that are not input.
    private mutating func route(_ event: EditorEvent) -> [EditorEffect] {
        switch event {
        case .key, .mouse:
            return []  // input goes through `receive`
        case .resize(let size):
            return resize(to: size)
        case .tick(let now):
            clock = now
            return []
        case .modelLoaded(let name, let device):
            return modelLoaded(name: name, device: device)
        case .modelFailed(let text):
            modelError = text
            return sayError(text)
        case .imageLoaded(let index, let image):
            return imageLoaded(index: index, image: image)
        case .imageFailed(let index, let text):
            return imageFailed(index: index, message: text)
        case .encodingStarted(let index, let time):
            return encodingStarted(index: index, at: time)
        case .imageEncoded(let index, let seconds, let fromCache):
            return imageEncoded(index: index, seconds: seconds, fromCache: fromCache)
        case .encodingFailed(let index, let text):
            return encodingFailed(index: index, message: text)
        case .sessionLoaded(let index, let sha256, let outcome):
            return sessionLoaded(index: index, sha256: sha256, outcome: outcome)
        case .prediction(let requestID, let result):
            return candidatesArrived(requestID: requestID, result: result, from: .prediction)
        case .replayed(let requestID, let result, let maskInput):
            return candidatesArrived(requestID: requestID, result: result, from: .replay(maskInput: maskInput))
        case .predictionFailed(let requestID, let text):
            return predictionFailed(requestID: requestID, message: text)
        case .predictionDropped(let requestID):
            return predictionDropped(requestID: requestID)
        case .objectsFound(let index, let suggestions):
            return objectsFound(index: index, suggestions: suggestions)
        case .findingObjectsFailed(let index, let text):
            return findingObjectsFailed(index: index, message: text)
        case .findingObjectsProgress(let index, let progress, let elapsed):
            return findingObjectsProgressed(index: index, progress: progress, elapsed: elapsed)
        case .findingObjectsCancelled(let index):
            return findingObjectsCancelled(index: index)
        case .automaticDefaults(let thresholds):
            return automaticDefaultsKnown(thresholds)
        case .exportFinished(let index, let files, let removed):
            return exportFinished(index: index, files: files, removed: removed)
        case .exportNeedsOverwrite(let index, let existing):
            return exportNeedsOverwrite(index: index, existing: existing)
        case .exportFailed(let index, let text):
            return images.indices.contains(index) ? exportFailed(index: index, message: text) : sayError("Export failed: \(text)")
        case .masksEmbedded(let requestID, let embeddings):
            return masksEmbedded(requestID: requestID, embeddings: embeddings)
        case .embeddingFailed(let requestID, let text):
            return embeddingFailed(requestID: requestID, message: text)
        case .similarObjectsFound(let requestID, let matches, let note):
            return similarObjectsFound(requestID: requestID, matches: matches, note: note)
        case .similarObjectsFailed(let requestID, let text):
            return similarObjectsFailed(requestID: requestID, message: text)
        case .cutoutWritten(let requestID, let path, let folder):
            return cutoutWritten(requestID: requestID, path: path, folder: folder)
        case .describeFailed(let requestID, let text):
            return describeFailed(requestID: requestID, message: text)
        case .commandFinished(let requestID, let result):
            return commandFinished(requestID: requestID, result: result)
        case .videoFrame(let requestID, let frame, let objects):
            return videoFrameTracked(requestID: requestID, frame: frame, objects: objects)
        case .videoRebuilding(let requestID, let done, let total):
            return videoRebuilding(requestID: requestID, done: done, total: total)
        case .videoFinished(let requestID, let framesDone, let cancelled):
            return videoFinished(requestID: requestID, framesDone: framesDone, cancelled: cancelled)
        case .videoFailed(let requestID, let text):
            return videoFailed(requestID: requestID, message: text)
        case .latencyMeasured(let milliseconds):
            lastLatencyMilliseconds = milliseconds
            return []
        case .failure(let text):
            return sayError(text)
        }
    }

    mutating func handleKey(_ key: Key) -> [EditorEffect] {
        guard mode == .normal else { return answerDialog(key) }
        if let effects = videoKey(key) { return effects }
        guard let action = keymap.action(for: key) else { return say(Self.unknownKey(key)) }
        message = nil
        // A stroke ends with anything but moving the crosshair (or the view under it).
        let lifted = pen != nil && !action.keepsThePenDown ? liftPen() : []
        return lifted + perform(action)
    }

    /// Performs one keymap action in the normal mode.
    mutating func perform(_ action: EditorAction) -> [EditorEffect] {
        if let effects = videoAction(action) { return effects }
        switch action {
        case .moveCursor(let columns, let rows): return moveCursor(columns: columns, rows: rows)
        case .placePoint(let foreground): return placePoint(foreground: foreground)
        case .toggleBox: return toggleBox()
        case .removeNearestPoint: return removeNearestPoint()
        case .undo, .redo: return stepHistory(undo: action == .undo)
        case .clearPrompts: return clearPrompts()
        case .nextCandidate: return chooseNextCandidate()
        case .selectCandidate(let index): return choose(index)
        case .toggleMultimask: return toggleMultimask()
        case .acceptObject: return acceptObject()
        case .renameObject: return renameObject()
        case .pickClass: return pickClass()
        case .previousObject, .nextObject: return cycleObject(by: action == .nextObject ? 1 : -1)
        case .deleteObject: return askToDeleteObject()
        case .toggleOverlay: return toggleOverlay()
        case .toggleOutline: return toggleOutline()
        case .zoomIn, .zoomOut: return zoom(in: action == .zoomIn)
        case .zoomToFit: return zoomToFit()
        case .pan(let columns, let rows): return panStep(columns: columns, rows: rows)
        case .toggleShowOnlySelected: return toggleShowOnlySelected()
        case .nextImage, .previousImage: return stepImage(by: action == .nextImage ? 1 : -1)
        case .export: return openExportDialog()
        case .findObjects: return findObjects()
        case .lowerAutomaticThresholds: return lowerAutomaticThresholds()
        case .moreLikeThis: return moreLikeThis()
        case .similarObjects: return findSimilarObjects()
        case .describeObject: return describeObject()
        case .togglePaintMode: return togglePaintMode()
        case .penDown(let erases): return putPenDown(erases: erases)
        case .brushSize(let larger): return changeBrush(larger: larger)
        case .fillHoles: return cleanUp(.holes)
        case .removeIslands: return cleanUp(.islands)
        case .setCleanupArea(let holes): return askCleanupArea(holes: holes)
        case .refineFromMask: return refineFromEditedMask()
        case .toggleNoOverlaps: return toggleNoOverlaps()
        case .quit, .interrupt: return askToQuit()
        case .showHelp: return showHelp()
        case .cancel:
            if pen != nil { return liftPen() }
            if paintMode { return togglePaintMode() }
            if boxAnchor == nil && describing != nil { return cancelDescribe() }
            return boxAnchor == nil && document.findingObjects ? cancelFindingObjects() : cancelBox()
        }
    }

    // MARK: - The message line

    /// Shows `text`; no effects, for the transitions that only have something to say.
    @discardableResult
    mutating func say(_ text: String) -> [EditorEffect] {
        message = StatusMessage(text)
        return []
    }

    @discardableResult
    mutating func sayError(_ text: String) -> [EditorEffect] {
        message = StatusMessage(text, isError: true)
        return []
    }

    /// Shows `text` if image `index` is the one on screen: news of another image would mislead.
    mutating func say(_ text: String, isError: Bool = false, aboutImage index: Int) {
        if index == currentImage { message = StatusMessage(text, isError: isError) }
    }

    /// "1 file", "2 files".
    static func counted(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }
}

extension EditorEvent {
    /// The image whose own state a background result changes.
    fileprivate var changedImage: Int? {
        switch self {
        case .imageLoaded(let index, _), .imageFailed(let index, _), .encodingStarted(let index, _),
             .imageEncoded(let index, _, _), .encodingFailed(let index, _), .sessionLoaded(let index, _, _),
             .objectsFound(let index, _), .findingObjectsFailed(let index, _), .exportFinished(let index, _, _),
             .findingObjectsProgress(let index, _, _), .findingObjectsCancelled(let index):
            return index
        default:
            return nil
        }
    }
}
