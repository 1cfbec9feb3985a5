// The update's undo and redo: one history per image (ImageHistory), which every change to the
// image's objects goes through.
import Segmentation

extension EditorObject {
    /// Keeps, of candidates that belong to the prompt, only the steps that reproduce them: the
    /// object is replayed when it comes back, as one restored from a session is. (Candidates of
    /// an older prompt, while the current one's prediction was out, are kept: their steps are
    /// not the prompt's.)
    mutating func forgetCandidates() {
        guard prediction == .current, candidatesOrigin != nil, !candidates.isEmpty else { return }
        candidates = []
        awaitingReplay = true
        prediction = .stale
    }
}

extension EditorState {
    /// Records a change of the current image, made to the object `objectID`, under `label`
    /// (see HistoryEntry); `before` is the image as it was.
    mutating func recordChange(_ label: String, object objectID: Int?, from before: ImageSnapshot) {
        document.history.record(HistoryEntry(label: label, objectID: objectID, snapshot: before))
    }

    /// `u` and Ctrl-R: the image as it was before the last change (or after the last undone
    /// one), saying which change that was.
    mutating func stepHistory(undo: Bool) -> [EditorEffect] {
        let present = document
        guard let entry = document.history.step(undo: undo, present: {
            present.snapshot(withSuggestions: $0.snapshot.suggestions != nil)
        }) else {
            return say(undo ? "Nothing to undo" : "Nothing to redo")
        }
        boxAnchor = nil
        document.restore(entry.snapshot)
        document.hasUnsavedChanges = true
        say((undo ? "Undid: " : "Redid: ") + entry.text(objects: entry.snapshot.objects + present.objects))
        return repredictRestoredObjects() + autosave(image: currentImage)
    }

    /// After a restore, the objects whose candidates are not those of their prompts are
    /// predicted again: one whose request was out when the snapshot was taken (its answer went
    /// to an object that is no longer there), a restored one not replayed yet, a failed one.
    /// The others keep their candidates, so most undos cost no prediction.
    private mutating func repredictRestoredObjects() -> [EditorEffect] {
        var effects: [EditorEffect] = []
        for index in document.objects.indices where !document.objects[index].prompting.isEmpty {
            switch document.objects[index].prediction {
            case .current, .idle: continue
            case .pending, .stale, .failed: effects.append(repredict(imageIndex: currentImage, objectIndex: index))
            }
        }
        return effects
    }
}
