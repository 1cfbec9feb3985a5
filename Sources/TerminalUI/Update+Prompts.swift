// The update's prompts and candidates: points, boxes, choosing a candidate, predictions
// asked for and arriving.
import Segmentation

/// Where new candidates come from.
enum CandidatesSource {
    case prediction
    /// A restored object's steps replayed: with the mask input the last step was given, which
    /// refining and predicting again go on from.
    case replay(maskInput: [Float]?)
}

extension EditorState {
    mutating func placePoint(foreground: Bool) -> [EditorEffect] {
        guard viewport != nil else { return notReady() }
        if paintMode { return paintDisc(erases: !foreground) }
        if foreground, let adopted = adoptSuggestion() { return adopted }
        let point = PromptPoint(position: cursor, isForeground: foreground)
        return editPrompts(addition: true, label: { (foreground ? "point on " : "background point on ") + $0 }) { $0.points.append(point) }
    }

    /// `b`: the first press anchors a corner at the cursor, the second draws the box.
    mutating func toggleBox() -> [EditorEffect] {
        guard viewport != nil else { return notReady() }
        guard let anchor = boxAnchor else {
            boxAnchor = cursor
            return say("Box: move to the opposite corner and press b (Esc cancels)")
        }
        return finishBox(from: anchor, to: cursor)
    }

    mutating func finishBox(from anchor: PixelPoint, to corner: PixelPoint) -> [EditorEffect] {
        boxAnchor = nil
        let box = PromptBox(corner: anchor, corner: corner)
        guard box.x1 > box.x0, box.y1 > box.y0 else {
            return sayError("A box needs two corners in different rows and columns")
        }
        return editPrompts(addition: true, label: { "box on \($0)" }) { $0.box = box }
    }

    mutating func cancelBox() -> [EditorEffect] {
        guard boxAnchor != nil else { return [] }
        boxAnchor = nil
        return say("Box cancelled")
    }

    mutating func removeNearestPoint() -> [EditorEffect] {
        guard let object = currentObject else { return say("No point to remove") }
        let points = object.prompting.points
        if let nearest = points.indices.min(by: {
            points[$0].position.squaredDistance(to: cursor) < points[$1].position.squaredDistance(to: cursor)
        }) {
            let effects = editPrompts(addition: false, label: { "remove a point from \($0)" }) { $0.points.remove(at: nearest) }
            say("Removed the nearest point from \(object.displayName)")
            return effects
        }
        if object.prompting.box != nil {
            let effects = editPrompts(addition: false, label: { "remove the box from \($0)" }) { $0.box = nil }
            say("Removed the box from \(object.displayName)")
            return effects
        }
        return say("No point to remove")
    }

    /// `c`: the object's prompts go, and its strokes and clean-ups with them.
    mutating func clearPrompts() -> [EditorEffect] {
        guard let object = currentObject, !object.prompting.isEmpty || !object.edits.isEmpty else { return say("Nothing to clear") }
        boxAnchor = nil
        let before = document.snapshot()
        modifyCurrentObject { $0.edits = [] }
        let effects = object.prompting.isEmpty
            ? recordClearedEdits(of: object, before: before)
            : editPrompts(addition: false, before: before, label: { "clear \($0)" }) { $0 = Prompt() }
        say("Cleared \(object.displayName) (u brings it back)")
        return effects
    }

    private mutating func recordClearedEdits(of object: EditorObject, before: ImageSnapshot) -> [EditorEffect] {
        recordChange("clear \(HistoryEntry.objectName)", object: object.id, from: before)
        document.hasUnsavedChanges = true
        return autosave(image: currentImage)
    }

    mutating func chooseNextCandidate() -> [EditorEffect] {
        guard let object = currentObject, !object.candidates.isEmpty else { return say(whyNoCandidate(index: nil)) }
        guard object.candidates.count > 1 else { return say(whyNoCandidate(index: nil)) }
        return choose((object.chosen + 1) % object.candidates.count)
    }

    mutating func choose(_ index: Int) -> [EditorEffect] {
        guard let object = currentObject, object.candidates.indices.contains(index) else {
            return say(whyNoCandidate(index: index))
        }
        guard object.chosen != index else { return [] }
        let before = document.snapshot()
        modifyCurrentObject { $0.chosen = index }
        recordChange("candidate \(index + 1) of \(HistoryEntry.objectName)", object: object.id, from: before)
        document.hasUnsavedChanges = true
        return autosave(image: currentImage)
    }

    /// Why there is no candidate `index` (nil: no other one to go to): no prediction yet, or
    /// a prompt that asks for one mask.
    private func whyNoCandidate(index: Int?) -> String {
        let subject = index.map { "No candidate \($0 + 1)" } ?? "No other candidate"
        guard let object = currentObject, !object.candidates.isEmpty else {
            return currentObject?.prompting.isEmpty == false ? "\(subject): no prediction yet" : "\(subject): place a point first"
        }
        if object.prompting.multimask { return "\(subject): the model gave \(Self.counted(object.candidates.count, "candidate"))" }
        let reason = object.prompting.maskInput != nil ? "one candidate after a refining click"
                                                       : object.prompting.box != nil ? "one candidate for a box" : "one candidate"
        return "\(subject): \(reason) (m asks for three)"
    }

    mutating func toggleMultimask() -> [EditorEffect] {
        multimaskAlways.toggle()
        say(multimaskAlways ? "Multimask on: three candidates on every click"
                            : "Multimask off: three candidates on the first click only")
        guard let object = currentObject, !object.prompting.isEmpty else { return [] }
        let always = multimaskAlways
        let before = document.snapshot()
        modifyCurrentObject { $0.setMultimask(always: always) }
        // A changed prompt is a change to undo.
        if currentObject?.prompting.multimask != object.prompting.multimask {
            recordChange("multimask \(always ? "on" : "off") for \(HistoryEntry.objectName)", object: object.id, from: before)
        }
        return requestPrediction(forCurrentObjectKeeping: nil)
    }

    /// Applies a prompt change to the current object (see `EditorObject.changePrompts`), records
    /// it for undo under `label` (given the object's name, see HistoryEntry) and asks for a
    /// prediction. `before`
    /// is the image as undo brings it back, when the caller changed it already.
    mutating func editPrompts(addition: Bool, before: ImageSnapshot? = nil, label: (String) -> String,
                              _ change: (inout Prompt) -> Void) -> [EditorEffect] {
        if video != nil { return editVideoPrompt(label: label, change) }
        let before = before ?? document.snapshot()
        ensureCurrentObject()
        let always = multimaskAlways
        guard let id = modifyCurrentObject({ object -> Int in
            object.changePrompts(refining: addition, multimaskAlways: always, change)
            return object.id
        }) else { return [] }
        recordChange(label(HistoryEntry.objectName), object: id, from: before)
        document.hasUnsavedChanges = true
        return requestPrediction(forCurrentObjectKeeping: nil) + autosave(image: currentImage)
    }

    /// Predicts the current object from its prompting. `choice` keeps a candidate index
    /// (after undo or redo) instead of taking the best-scoring one.
    private mutating func requestPrediction(forCurrentObjectKeeping choice: Int?) -> [EditorEffect] {
        guard let object = currentObject else { return [] }
        guard !object.prompting.isEmpty else {
            modifyCurrentObject { $0.clearCandidates() }
            return []
        }
        return predictRequest(forCurrentObjectKeeping: choice).map { [.predict($0)] } ?? []
    }

    /// The request predicting the current object's prompt, now awaited; nil without a prompt.
    mutating func predictRequest(forCurrentObjectKeeping choice: Int?) -> PredictRequest? {
        guard let object = currentObject, !object.prompting.isEmpty else { return nil }
        let request = makeRequest(imageIndex: currentImage, object: object)
        modifyCurrentObject { $0.awaitPrediction(requestID: request.id, keeping: choice) }
        return request
    }

    private mutating func makeRequest(imageIndex: Int, object: EditorObject) -> PredictRequest {
        let image = images[imageIndex]
        let size = Self.displayMaskSize(width: image.width ?? 1, height: image.height ?? 1)
        defer { nextRequestID += 1 }
        var request = PredictRequest(id: nextRequestID, imageIndex: imageIndex, objectID: object.id,
                                     prompting: object.prompting, maskWidth: size.width, maskHeight: size.height)
        // Refining an imported mask: the worker makes the mask input from it, as for `r`.
        if object.refinesBase, let width = image.width, let height = image.height {
            request.prompting.maskInput = nil
            request.editedMask = object.editedBase(imageWidth: width, imageHeight: height)
        }
        return request
    }

    /// Asks again for an object's candidates (its request was dropped): a prediction of its
    /// prompt, or the replay of its saved steps while it has not been predicted since restoring.
    mutating func repredict(imageIndex: Int, objectIndex: Int) -> EditorEffect {
        let object = images[imageIndex].objects[objectIndex]
        let request = makeRequest(imageIndex: imageIndex, object: object)
        // A replay shows the saved choice; a prompt keeps the choice its own request was made
        // with (nil: the best), not the older candidates' index.
        images[imageIndex].objects[objectIndex].awaitPrediction(requestID: request.id,
                                                                keeping: object.awaitingReplay ? object.chosen : object.choiceAfterPrediction)
        guard object.awaitingReplay, let origin = object.candidatesOrigin else { return .predict(request) }
        let image = images[imageIndex]
        return .replay(ReplayRequest(id: request.id, imageIndex: imageIndex, objectID: object.id,
                                     steps: origin.steps(choosing: object.chosen),
                                     maskWidth: request.maskWidth, maskHeight: request.maskHeight,
                                     edits: object.edits, imageWidth: image.width ?? 0, imageHeight: image.height ?? 0,
                                     base: object.baseMask))
    }

    // MARK: - Answers

    /// New candidates for an object's current prompt.
    mutating func candidatesArrived(requestID: Int, result: PredictionResult, from source: CandidatesSource) -> [EditorEffect] {
        let image = predictionArrived(requestID: requestID) { $0.receive(result, requestID: requestID, from: source) }
        return image.map { autosave(image: $0) } ?? []
    }

    mutating func predictionFailed(requestID: Int, message text: String) -> [EditorEffect] {
        if let image = predictionArrived(requestID: requestID, { $0.prediction = .failed(text) }) {
            say("Prediction failed: \(text)", isError: true, aboutImage: image)
        }
        return []
    }

    mutating func predictionDropped(requestID: Int) -> [EditorEffect] {
        predictionArrived(requestID: requestID) { $0.prediction = .stale }
        return []
    }

    /// Applies an answer to the object that asked for it; answers nobody waits for are ignored.
    /// Returns the image of the object.
    @discardableResult
    private mutating func predictionArrived(requestID: Int, _ apply: (inout EditorObject) -> Void) -> Int? {
        for imageIndex in images.indices {
            if let objectIndex = images[imageIndex].objects.firstIndex(where: { $0.prediction == .pending(requestID: requestID) }) {
                apply(&images[imageIndex].objects[objectIndex])
                return imageIndex
            }
        }
        return nil
    }
}

/// The object's own part of the transitions above.
extension EditorObject {
    /// Applies a prompt change, recorded for undo. An addition refines the displayed candidate
    /// (its logits become the mask input, and its history the new prompt's lineage); a removal
    /// starts from the prompts alone, since the old mask still holds the removed point's influence.
    mutating func changePrompts(refining: Bool, multimaskAlways: Bool, _ change: (inout Prompt) -> Void) {
        let refined = refining ? chosenCandidate?.lowResLogits : nil
        change(&prompting)
        if !prompting.isEmpty, let refined, let origin = candidatesOrigin {
            prompting.maskInput = refined
            lineage = origin.steps(choosing: chosen)
        } else {
            prompting.maskInput = nil
            lineage = []
        }
        // The first prompt of an imported object refines its mask (with the edits made so far).
        maskInputEdits = refinesBase ? edits.count : nil
        setMultimask(always: multimaskAlways)
        awaitingReplay = false
    }

    /// Single points are ambiguous (a shirt or the person?): they get three candidates.
    mutating func setMultimask(always: Bool) {
        prompting.multimask = always
            || (prompting.maskInput == nil && !refinesBase && prompting.points.count == 1 && prompting.box == nil)
    }

    /// No prompts: nothing to predict and nothing to show.
    mutating func clearCandidates() {
        candidates = []
        candidatesOrigin = nil
        chosen = 0
        prediction = .idle
    }

    /// A request is out for the current prompts; `choice` is the candidate to show when it comes
    /// back (nil: the best-scoring one).
    mutating func awaitPrediction(requestID: Int, keeping choice: Int?) {
        prediction = .pending(requestID: requestID)
        choiceAfterPrediction = choice
    }

    mutating func receive(_ result: PredictionResult, requestID: Int, from source: CandidatesSource) {
        if case .replay(let maskInput) = source {
            prompting.maskInput = maskInput
            awaitingReplay = false
        }
        candidates = result.candidates
        candidatesVersion = requestID
        var choice = choiceAfterPrediction ?? result.best
        if let adopted = adoptedMask {
            choice = result.candidates.indices.max {
                adopted.iou(result.candidates[$0].mask) < adopted.iou(result.candidates[$1].mask)
            } ?? choice
            adoptedMask = nil
        }
        chosen = result.candidates.indices.contains(choice) ? choice : 0
        choiceAfterPrediction = nil
        prediction = .current
        candidatesOrigin = CandidatesOrigin(lineage: lineage, step: currentStep)
    }
}
