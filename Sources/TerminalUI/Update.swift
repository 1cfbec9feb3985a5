// The editor's transitions: update(state, event) -> (state, effects), and nothing else happens.
import Foundation
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
        switch event {
        case .key(let key):
            return handleKey(key)
        case .mouse(let input):
            return handleMouse(input)
        case .resize(let size):
            setLayout(for: size)
            viewport?.resize(columns: layout.imageArea.width, rows: layout.imageArea.height, cellAspect: size.cellAspect)
            return []
        case .tick(let now):
            clock = now
            return []
        case .modelLoaded(let name, let device):
            setup.modelName = name
            setup.device = device
            modelReady = true
            return []
        case .modelFailed(let text):
            modelError = text
            message = StatusMessage(text, isError: true)
            return []
        case .imageLoaded(let index, let image):
            return imageLoaded(index: index, image: image)
        case .imageFailed(let index, let text):
            guard images.indices.contains(index) else { return [] }
            images[index].loading = .failed(text)
            if index == currentImage { message = StatusMessage(text, isError: true) }
            return []
        case .encodingStarted(let index, let time):
            guard images.indices.contains(index) else { return [] }
            images[index].encoding = .encoding(since: time)
            clock = max(clock, time)
            return []
        case .imageEncoded(let index, let seconds, let fromCache):
            return imageEncoded(index: index, seconds: seconds, fromCache: fromCache)
        case .encodingFailed(let index, let text):
            guard images.indices.contains(index) else { return [] }
            images[index].encoding = .failed(text)
            if index == currentImage { message = StatusMessage(text, isError: true) }
            return []
        case .prediction(let requestID, let result):
            return candidatesArrived(requestID: requestID, result: result, replayedMaskInput: nil)
        case .replayed(let requestID, let result, let maskInput):
            return candidatesArrived(requestID: requestID, result: result, replayedMaskInput: .some(maskInput))
        case .sessionLoaded(let index, let sha256, let outcome):
            return sessionLoaded(index: index, sha256: sha256, outcome: outcome)
        case .predictionFailed(let requestID, let text):
            let located = locatePending(requestID: requestID)
            predictionArrived(requestID: requestID) { object in object.prediction = .failed(text) }
            if located?.image == currentImage { message = StatusMessage("Prediction failed: \(text)", isError: true) }
            return []
        case .predictionDropped(let requestID):
            predictionArrived(requestID: requestID) { object in object.prediction = .stale }
            return []
        case .objectsFound(let index, let suggestions):
            guard images.indices.contains(index) else { return [] }
            images[index].findingObjects = false
            images[index].suggestions = suggestions
            images[index].suggestionsVersion += 1
            if index == currentImage {
                message = StatusMessage(suggestions.isEmpty ? "No objects found"
                                        : "Found \(suggestions.count) object\(suggestions.count == 1 ? "" : "s"): click inside an outline to adopt it")
            }
            return []
        case .findingObjectsFailed(let index, let text):
            guard images.indices.contains(index) else { return [] }
            images[index].findingObjects = false
            if index == currentImage { message = StatusMessage("Finding objects failed: \(text)", isError: true) }
            return []
        case .exportFinished(let index, let files):
            guard images.indices.contains(index) else { return [] }
            images[index].hasUnsavedChanges = false
            exportedFiles.formUnion(files)
            let folder = files.first.map { ($0 as NSString).deletingLastPathComponent } ?? "."
            message = StatusMessage("Exported \(files.count) file\(files.count == 1 ? "" : "s") to \(folder)")
            return []
        case .exportNeedsOverwrite(let index, let existing):
            guard index == currentImage, mode == .normal else {
                message = StatusMessage("Export not written: \(existing.count) file\(existing.count == 1 ? "" : "s") exist", isError: true)
                return []
            }
            mode = .confirmOverwrite(existing)
            return []
        case .exportFailed(_, let text):
            message = StatusMessage("Export failed: \(text)", isError: true)
            return []
        case .latencyMeasured(let milliseconds):
            lastLatencyMilliseconds = milliseconds
            return []
        case .failure(let text):
            message = StatusMessage(text, isError: true)
            return []
        }
    }

    // MARK: - Keys

    private mutating func handleKey(_ key: Key) -> [EditorEffect] {
        switch mode {
        case .help:
            mode = .normal
            return []
        case .naming(let text):
            return editName(text, key: key)
        case .confirmQuit:
            if key == .character("y") || key == .character("Y") || key == .control("c") { return [.quit] }
            mode = .normal
            message = StatusMessage("Quit cancelled")
            return []
        case .confirmDeleteObject:
            mode = .normal
            if key == .character("y") || key == .character("Y") { return deleteCurrentObject() }
            message = StatusMessage("Delete cancelled")
            return []
        case .confirmOverwrite:
            mode = .normal
            if key == .character("y") || key == .character("Y") { return export(overwrite: true) }
            message = StatusMessage("Export cancelled: nothing was overwritten")
            return []
        case .normal:
            guard let action = Keymap.action(for: key) else { return [] }
            message = nil
            return perform(action)
        }
    }

    private mutating func editName(_ text: String, key: Key) -> [EditorEffect] {
        switch key {
        case .enter:
            mode = .normal
            let name = text.trimmingCharacters(in: .whitespaces)
            guard var object = currentObject else { return [] }
            object.name = name.isEmpty ? nil : name
            document.objects[document.currentObject] = object
            document.hasUnsavedChanges = true
            message = StatusMessage("Named \(object.displayName)")
            return autosave(image: currentImage)
        case .escape, .control("c"):
            mode = .normal
            message = StatusMessage("Naming cancelled")
        case .backspace:
            mode = .naming(String(text.dropLast()))
        case .character(let character) where !character.isNewline && text.count < 60:
            mode = .naming(text + String(character))
        default:
            break
        }
        return []
    }

    /// Performs one keymap action in the normal mode.
    mutating func perform(_ action: EditorAction) -> [EditorEffect] {
        switch action {
        case .moveCursor(let columns, let rows):
            guard var view = viewport else { return [] }
            cursor = view.moveCursor(from: cursor, columns: columns, rows: rows)
            viewport = view
            return []
        case .placePoint(let foreground):
            guard viewport != nil else { return notReady() }
            if foreground, let adopted = adoptSuggestion() { return adopted }
            let point = PromptPoint(position: cursor, isForeground: foreground)
            return editPrompts(addition: true) { $0.points.append(point) }
        case .toggleBox:
            guard viewport != nil else { return notReady() }
            guard let anchor = boxAnchor else {
                boxAnchor = cursor
                message = StatusMessage("Box: move to the opposite corner and press b (Esc cancels)")
                return []
            }
            return finishBox(from: anchor, to: cursor)
        case .removeNearestPoint:
            return removeNearestPoint()
        case .undo, .redo:
            return stepHistory(undo: action == .undo)
        case .clearPrompts:
            guard let object = currentObject, !object.prompting.isEmpty else {
                message = StatusMessage("Nothing to clear")
                return []
            }
            boxAnchor = nil
            return editPrompts(addition: false) { $0 = Prompt() }
        case .nextCandidate:
            guard let object = currentObject, !object.candidates.isEmpty else { return [] }
            return choose((object.chosen + 1) % object.candidates.count)
        case .selectCandidate(let index):
            return choose(index)
        case .toggleMultimask:
            multimaskAlways.toggle()
            message = StatusMessage(multimaskAlways ? "Multimask on: three candidates on every click" : "Multimask off: three candidates on the first click only")
            guard var object = currentObject, !object.prompting.isEmpty else { return [] }
            object.prompting.multimask = multimaskAlways || isFirstClick(object.prompting)
            document.objects[document.currentObject] = object
            return requestPrediction(forCurrentObjectKeeping: nil)
        case .acceptObject:
            guard let object = currentObject, object.hasMask else {
                message = StatusMessage("Nothing to accept yet: place a point first")
                return []
            }
            boxAnchor = nil
            startNewObject()
            message = StatusMessage("Accepted \(object.displayName); now \(currentObject?.displayName ?? "")")
            return autosave(image: currentImage)
        case .renameObject:
            guard viewport != nil else { return notReady() }
            ensureCurrentObject()
            mode = .naming(currentObject?.name ?? "")
            return []
        case .previousObject, .nextObject:
            return cycleObject(by: action == .nextObject ? 1 : -1)
        case .deleteObject:
            guard let object = currentObject, !object.prompting.isEmpty || object.name != nil else {
                message = StatusMessage("No object to delete")
                return []
            }
            mode = .confirmDeleteObject
            return []
        case .toggleOverlay:
            overlayVisible.toggle()
            message = StatusMessage(overlayVisible ? "Overlay on" : "Overlay off")
            return []
        case .toggleOutline:
            outlineMode.toggle()
            overlayVisible = true
            message = StatusMessage(outlineMode ? "Outline mode" : "Filled masks")
            return []
        case .zoomIn, .zoomOut:
            viewport?.zoom(by: action == .zoomIn ? Self.zoomStep : 1 / Self.zoomStep, around: cursor)
            return []
        case .zoomToFit:
            viewport?.zoomToFit()
            return []
        case .nextImage, .previousImage:
            guard images.count > 1 else {
                message = StatusMessage("Only one image is open")
                return []
            }
            let step = action == .nextImage ? 1 : -1
            return switchImage(to: (currentImage + step + images.count) % images.count)
        case .export:
            return export()
        case .findObjects:
            return findObjects()
        case .quit, .interrupt:
            guard hasUnsavedChanges else { return [.quit] }
            mode = .confirmQuit
            return []
        case .showHelp:
            mode = .help
            return []
        case .cancel:
            if boxAnchor != nil {
                boxAnchor = nil
                message = StatusMessage("Box cancelled")
            }
            return []
        }
    }

    static let zoomStep = 1.5

    private mutating func notReady() -> [EditorEffect] {
        if case .failed(let text) = document.loading {
            message = StatusMessage(text, isError: true)
        } else {
            message = StatusMessage("The image is still loading")
        }
        return []
    }

    // MARK: - Prompts

    /// Single points are ambiguous (a shirt or the person?): they get three candidates.
    private func isFirstClick(_ prompting: Prompt) -> Bool {
        prompting.maskInput == nil && prompting.points.count == 1 && prompting.box == nil
    }

    /// Applies a prompt change to the current object, records it for undo and asks for a
    /// prediction. An addition refines the displayed candidate (its logits become the mask
    /// input, and its history the new prompt's lineage); a removal starts from the prompts
    /// alone, since the old mask still holds the removed point's influence.
    private mutating func editPrompts(addition: Bool, _ change: (inout Prompt) -> Void) -> [EditorEffect] {
        ensureCurrentObject()
        guard var object = currentObject else { return [] }
        object.recordHistory()
        let refined = addition ? object.chosenCandidate?.lowResLogits : nil
        change(&object.prompting)
        if !object.prompting.isEmpty, let refined, let origin = object.candidatesOrigin {
            object.prompting.maskInput = refined
            object.lineage = origin.steps(choosing: object.chosen)
        } else {
            object.prompting.maskInput = nil
            object.lineage = []
        }
        object.prompting.multimask = multimaskAlways || isFirstClick(object.prompting)
        object.awaitingReplay = false
        document.objects[document.currentObject] = object
        document.hasUnsavedChanges = true
        return requestPrediction(forCurrentObjectKeeping: nil) + autosave(image: currentImage)
    }

    /// Predicts the current object from its prompting. `choice` keeps a candidate index
    /// (after undo or redo) instead of taking the best-scoring one.
    private mutating func requestPrediction(forCurrentObjectKeeping choice: Int?) -> [EditorEffect] {
        guard var object = currentObject else { return [] }
        guard !object.prompting.isEmpty else {
            object.candidates = []
            object.candidatesOrigin = nil
            object.chosen = 0
            object.prediction = .idle
            document.objects[document.currentObject] = object
            return []
        }
        let request = makeRequest(imageIndex: currentImage, object: object)
        object.prediction = .pending(requestID: request.id)
        object.choiceAfterPrediction = choice
        document.objects[document.currentObject] = object
        return [.predict(request)]
    }

    private mutating func makeRequest(imageIndex: Int, object: EditorObject) -> PredictRequest {
        let image = images[imageIndex]
        let size = Self.displayMaskSize(width: image.width ?? 1, height: image.height ?? 1)
        defer { nextRequestID += 1 }
        return PredictRequest(id: nextRequestID, imageIndex: imageIndex, objectID: object.id,
                              prompting: object.prompting, maskWidth: size.width, maskHeight: size.height)
    }

    private mutating func finishBox(from anchor: PixelPoint, to corner: PixelPoint) -> [EditorEffect] {
        boxAnchor = nil
        let box = PromptBox(corner: anchor, corner: corner)
        guard box.x1 > box.x0, box.y1 > box.y0 else {
            message = StatusMessage("A box needs two corners in different rows and columns", isError: true)
            return []
        }
        return editPrompts(addition: true) { $0.box = box }
    }

    private mutating func removeNearestPoint() -> [EditorEffect] {
        guard let object = currentObject else {
            message = StatusMessage("No point to remove")
            return []
        }
        let points = object.prompting.points
        if let nearest = points.indices.min(by: {
            points[$0].position.squaredDistance(to: cursor) < points[$1].position.squaredDistance(to: cursor)
        }) {
            return editPrompts(addition: false) { $0.points.remove(at: nearest) }
        }
        if object.prompting.box != nil {
            return editPrompts(addition: false) { $0.box = nil }
        }
        message = StatusMessage("No point to remove")
        return []
    }

    private mutating func stepHistory(undo: Bool) -> [EditorEffect] {
        guard var object = currentObject, object.stepHistory(undo: undo) else {
            message = StatusMessage(undo ? "Nothing to undo" : "Nothing to redo")
            return []
        }
        boxAnchor = nil
        document.objects[document.currentObject] = object
        document.hasUnsavedChanges = true
        return requestPrediction(forCurrentObjectKeeping: object.chosen) + autosave(image: currentImage)
    }

    private mutating func choose(_ index: Int) -> [EditorEffect] {
        guard var object = currentObject, object.candidates.indices.contains(index) else {
            message = StatusMessage("No candidate \(index + 1)")
            return []
        }
        guard object.chosen != index else { return [] }
        object.chosen = index
        document.objects[document.currentObject] = object
        document.hasUnsavedChanges = true
        return autosave(image: currentImage)
    }

    // MARK: - Objects

    /// Gives the current image an object to edit when it has none.
    private mutating func ensureCurrentObject() {
        if currentObject == nil { startNewObject() }
    }

    private mutating func startNewObject() {
        let id = document.nextObjectID
        document.nextObjectID += 1
        document.objects.append(EditorObject(id: id, colorIndex: id - 1))
        document.currentObject = document.objects.count - 1
    }

    /// Drops the current object when it holds nothing, before moving away from it; true when
    /// it did (the current index then names the object after the dropped one).
    @discardableResult
    private mutating func dropCurrentObjectIfEmpty() -> Bool {
        guard let object = currentObject, object.prompting.isEmpty, object.name == nil, !object.canUndo else { return false }
        document.objects.remove(at: document.currentObject)
        return true
    }

    private mutating func cycleObject(by step: Int) -> [EditorEffect] {
        boxAnchor = nil
        let dropped = dropCurrentObjectIfEmpty()
        guard !document.objects.isEmpty else {
            document.currentObject = 0
            message = StatusMessage("No objects yet")
            return []
        }
        let count = document.objects.count
        // After a drop the index already sits on the next object.
        let target = dropped && step > 0 ? document.currentObject : document.currentObject + step
        document.currentObject = (target % count + count) % count
        return []
    }

    /// Makes the object at `index` of the current image the one being edited.
    mutating func selectObject(at index: Int) {
        guard document.objects.indices.contains(index), index != document.currentObject else { return }
        boxAnchor = nil
        let target = document.objects[index].id
        dropCurrentObjectIfEmpty()
        document.currentObject = document.objects.firstIndex { $0.id == target } ?? 0
    }

    private mutating func deleteCurrentObject() -> [EditorEffect] {
        guard let object = currentObject else { return [] }
        document.objects.remove(at: document.currentObject)
        document.currentObject = max(min(document.currentObject, document.objects.count - 1), 0)
        document.hasUnsavedChanges = true
        boxAnchor = nil
        message = StatusMessage("Deleted \(object.displayName)")
        return autosave(image: currentImage)
    }

    // MARK: - Images

    private mutating func imageLoaded(index: Int, image: RGBImage) -> [EditorEffect] {
        guard images.indices.contains(index) else { return [] }
        images[index].width = image.width
        images[index].height = image.height
        images[index].loading = .loaded
        guard index == currentImage else { return [] }
        images[index].image = image
        let view = Viewport(imageWidth: image.width, imageHeight: image.height,
                            columns: layout.imageArea.width, rows: layout.imageArea.height, cellAspect: terminal.cellAspect)
        viewport = view
        let centre = view.imagePoint(atCell: view.cell(containing: PixelPoint(x: Double(image.width) / 2, y: Double(image.height) / 2)))
        cursor = view.clampedToImage(centre)
        return []
    }

    private mutating func imageEncoded(index: Int, seconds: Double, fromCache: Bool) -> [EditorEffect] {
        guard images.indices.contains(index) else { return [] }
        images[index].encoding = .ready(seconds: seconds, fromCache: fromCache)
        guard index == currentImage else { return [] }
        if message == nil {
            message = StatusMessage(fromCache ? "Ready: encoding read from the cache"
                                              : String(format: "Ready: encoded in %.1f s", seconds))
        }
        // Objects whose requests were dropped while another image was active.
        var effects: [EditorEffect] = []
        for objectIndex in images[index].objects.indices {
            let object = images[index].objects[objectIndex]
            guard object.prediction == .stale, !object.prompting.isEmpty else { continue }
            effects.append(repredict(imageIndex: index, objectIndex: objectIndex))
        }
        if images.count > 1 {
            let next = (index + 1) % images.count
            effects.append(.prefetchImage(index: next, path: images[next].path))
        }
        return effects
    }

    private mutating func switchImage(to index: Int) -> [EditorEffect] {
        boxAnchor = nil
        mousePressCell = nil
        if dropCurrentObjectIfEmpty() { document.currentObject = max(document.objects.count - 1, 0) }
        currentImage = index
        // Pixels are kept for the image on screen only; the worker decodes again on return.
        for other in images.indices where other != index { images[other].image = nil }
        viewport = nil
        let needsPixels = document.image == nil
        if needsPixels { document.loading = .loading }
        if case .failed = document.encoding {} else { document.encoding = .waiting }
        if let image = document.image { _ = imageLoaded(index: index, image: image) }
        return [openCurrentImage]
    }

    private mutating func export(overwrite: Bool = false) -> [EditorEffect] {
        // Restored objects whose replay is still running export too: they have their steps.
        let objects = document.objects.filter { !$0.steps.isEmpty }
        guard !objects.isEmpty, let width = document.width, let height = document.height else {
            message = StatusMessage("Nothing to export: no object has a mask yet")
            return []
        }
        message = StatusMessage("Exporting \(objects.count) mask\(objects.count == 1 ? "" : "s")…")
        return [.export(ExportRequest(imageIndex: currentImage, imagePath: document.path, imageWidth: width, imageHeight: height,
                                      objects: objects.map(record(of:)), directory: setup.outputDirectory,
                                      overwrite: overwrite, replaceable: exportedFiles))]
    }

    // MARK: - Predictions

    /// Finds the object waiting for `requestID`; nil when none waits for it any more.
    private func locatePending(requestID: Int) -> (image: Int, object: Int)? {
        for imageIndex in images.indices {
            if let objectIndex = images[imageIndex].objects.firstIndex(where: { $0.prediction == .pending(requestID: requestID) }) {
                return (imageIndex, objectIndex)
            }
        }
        return nil
    }

    /// Applies a result to the object that asked for it; results nobody waits for are ignored.
    /// Returns the image of the object.
    @discardableResult
    private mutating func predictionArrived(requestID: Int, _ apply: (inout EditorObject) -> Void) -> Int? {
        guard let located = locatePending(requestID: requestID) else { return nil }
        apply(&images[located.image].objects[located.object])
        return located.image
    }

    /// New candidates for an object's current prompt. A replay also brings the mask input the
    /// restored prompt had, so that refining and re-predicting go on exactly from there.
    private mutating func candidatesArrived(requestID: Int, result: PredictionResult,
                                            replayedMaskInput: [Float]??) -> [EditorEffect] {
        let image = predictionArrived(requestID: requestID) { object in
            if let maskInput = replayedMaskInput {
                object.prompting.maskInput = maskInput
                object.awaitingReplay = false
            }
            object.candidates = result.candidates
            object.candidatesVersion = requestID
            var choice = object.choiceAfterPrediction ?? result.best
            if let adopted = object.adoptedMask {
                choice = result.candidates.indices.max { adopted.iou(result.candidates[$0].mask) < adopted.iou(result.candidates[$1].mask) } ?? choice
                object.adoptedMask = nil
            }
            object.chosen = result.candidates.indices.contains(choice) ? choice : 0
            object.choiceAfterPrediction = nil
            object.prediction = .current
            object.candidatesOrigin = CandidatesOrigin(lineage: object.lineage, step: object.currentStep)
        }
        return image.map { autosave(image: $0) } ?? []
    }

    /// Asks again for an object's candidates (its request was dropped): a prediction of its
    /// prompt, or the replay of its saved steps while it has not been predicted since restoring.
    private mutating func repredict(imageIndex: Int, objectIndex: Int) -> EditorEffect {
        let object = images[imageIndex].objects[objectIndex]
        let request = makeRequest(imageIndex: imageIndex, object: object)
        images[imageIndex].objects[objectIndex].prediction = .pending(requestID: request.id)
        images[imageIndex].objects[objectIndex].choiceAfterPrediction = object.chosen
        guard object.awaitingReplay, let origin = object.candidatesOrigin else { return .predict(request) }
        return .replay(ReplayRequest(id: request.id, imageIndex: imageIndex, objectID: object.id,
                                     steps: origin.steps(choosing: object.chosen),
                                     maskWidth: request.maskWidth, maskHeight: request.maskHeight))
    }

    // MARK: - Automatic masks

    /// `A`: runs the generator, or hides its outlines when they show.
    private mutating func findObjects() -> [EditorEffect] {
        guard viewport != nil, let width = document.width, let height = document.height else { return notReady() }
        if document.findingObjects {
            message = StatusMessage("Still finding objects…")
            return []
        }
        if !document.suggestions.isEmpty {
            document.suggestions = []
            document.suggestionsVersion += 1
            message = StatusMessage("Automatic masks hidden (A finds them again)")
            return []
        }
        guard case .ready = document.encoding else {
            message = StatusMessage("The image is still being encoded")
            return []
        }
        document.findingObjects = true
        message = StatusMessage("Finding every object in the background…")
        let size = Self.displayMaskSize(width: width, height: height)
        return [.findObjects(imageIndex: currentImage, maskWidth: size.width, maskHeight: size.height)]
    }

    /// A foreground click inside a suggestion, with no object being prompted, adopts it: a new
    /// object prompted at the suggestion's own grid point, keeping the candidate that matches it.
    private mutating func adoptSuggestion() -> [EditorEffect]? {
        guard let width = document.width, let height = document.height, currentObject?.prompting.isEmpty ?? true else { return nil }
        // The smallest outline under the cursor: the most specific object there.
        let hits = document.suggestions.indices.filter { document.suggestions[$0].contains(cursor, imageWidth: width, imageHeight: height) }
        guard let index = hits.min(by: { document.suggestions[$0].mask.area < document.suggestions[$1].mask.area }) else { return nil }
        let suggestion = document.suggestions.remove(at: index)
        document.suggestionsVersion += 1
        ensureCurrentObject()
        document.objects[document.currentObject].adoptedMask = suggestion.mask
        message = StatusMessage(String(format: "Adopted an automatic mask (predicted IoU %.2f)", suggestion.score))
        let point = PromptPoint(position: suggestion.point, isForeground: true)
        return editPrompts(addition: true) { $0.points.append(point) }
    }

    // MARK: - Sessions

    private mutating func sessionLoaded(index: Int, sha256: String, outcome: SessionOutcome) -> [EditorEffect] {
        guard images.indices.contains(index), images[index].autosave == .waiting else { return [] }
        images[index].sha256 = sha256
        switch outcome {
        case .fresh:
            images[index].autosave = .on
            return autosave(image: index)
        case .setAside(let text):
            images[index].autosave = .on
            if index == currentImage { message = StatusMessage(text, isError: true) }
            return autosave(image: index)
        case .refused(let text):
            images[index].autosave = .off(text)
            if index == currentImage { message = StatusMessage("\(text). Changes to this image are not autosaved.", isError: true) }
            return []
        case .found(let session):
            images[index].autosave = .on
            return restore(session, into: index)
        }
    }

    /// Puts a session's objects back and replays their steps; objects made before the session
    /// arrived (a click while it was read) keep their work under new numbers.
    private mutating func restore(_ session: Session, into index: Int) -> [EditorEffect] {
        let saved = session.objects.filter { !$0.steps.isEmpty }
        guard !saved.isEmpty else { return [] }
        if images[index].width == nil {
            images[index].width = session.image.width
            images[index].height = session.image.height
        }
        var restored: [EditorObject] = []
        for object in saved {
            var editor = EditorObject(id: object.id, colorIndex: object.id - 1, name: object.name, color: object.color)
            let last = object.steps[object.steps.count - 1]
            editor.prompting = SessionReplay.prompt(for: last, maskInput: nil)
            editor.chosen = last.candidate
            editor.lineage = Array(object.steps.dropLast())
            editor.candidatesOrigin = CandidatesOrigin(lineage: editor.lineage, step: last)
            editor.awaitingReplay = true
            editor.prediction = .stale
            restored.append(editor)
        }
        var nextID = (saved.map(\.id).max() ?? 0) + 1
        var earlier = images[index].objects
        for position in earlier.indices {
            earlier[position].id = nextID
            nextID += 1
        }
        let current = images[index].currentObject
        images[index].objects = restored + earlier
        images[index].nextObjectID = max(images[index].nextObjectID, nextID)
        // The next click starts a new object unless one was being edited already.
        images[index].currentObject = earlier.isEmpty ? restored.count : restored.count + current
        if index == currentImage {
            message = StatusMessage("Restored \(restored.count) object\(restored.count == 1 ? "" : "s") from the session")
        }
        // Replayed as soon as the image is encoded (now, if it already is).
        guard case .ready = images[index].encoding, index == currentImage else { return [] }
        return restored.indices.map { repredict(imageIndex: index, objectIndex: $0) }
    }

    // MARK: - Mouse

    private mutating func handleMouse(_ input: MouseInput) -> [EditorEffect] {
        switch mode {
        case .help:
            if input.kind != .release { mode = .normal }
            return []
        case .normal:
            break
        default:
            return []
        }
        if let panel = layout.objectPanel, panel.contains(input.position) {
            if input.kind != .release, input.button == .left {
                selectObject(at: input.position.row - panel.row - ObjectPanel.firstObjectRow)
            }
            return []
        }
        let area = layout.imageArea
        guard area.contains(input.position), var view = viewport else {
            mousePressCell = nil
            return []
        }
        let cell = CellPosition(column: input.position.column - area.column, row: input.position.row - area.row)
        let point = view.imagePoint(atCell: cell)
        switch (input.button, input.kind) {
        case (.wheelUp, _), (.wheelDown, _):
            view.zoom(by: input.button == .wheelUp ? Self.zoomStep : 1 / Self.zoomStep, around: point)
            viewport = view
            return []
        case (.left, .press):
            guard view.contains(point) else { return [] }
            message = nil
            mousePressCell = cell
            cursor = view.clampedToImage(point)
            return []
        case (.left, .release):
            defer { mousePressCell = nil }
            guard let pressed = mousePressCell else { return [] }
            message = nil
            if pressed == cell {
                return perform(.placePoint(foreground: true))
            }
            cursor = view.clampedToImage(point)
            return finishBox(from: view.clampedToImage(view.imagePoint(atCell: pressed)), to: cursor)
        case (.left, .click), (.right, .press), (.right, .click):
            guard view.contains(point) else { return [] }
            message = nil
            mousePressCell = nil
            cursor = view.clampedToImage(point)
            return perform(.placePoint(foreground: input.button == .left))
        default:
            return []
        }
    }
}
