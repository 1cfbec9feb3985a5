// The update's sessions and export: an image's saved work coming back, and exporting it.
import Foundation
import Segmentation

extension EditorState {
    mutating func sessionLoaded(index: Int, sha256: String, outcome: SessionOutcome) -> [EditorEffect] {
        guard images[index].autosave == .waiting else { return [] }
        images[index].sha256 = sha256
        numberObjectsMadeWhileWaiting(image: index)
        switch outcome {
        case .fresh:
            images[index].autosave = .on
            return autosave(image: index)
        case .setAside(let text):
            images[index].autosave = .on
            say(text, isError: true, aboutImage: index)
            return autosave(image: index)
        case .refused(let text):
            images[index].autosave = .off(text)
            say("\(text). Changes to this image are not autosaved.", isError: true, aboutImage: index)
            return []
        case .found(let session):
            images[index].autosave = .on
            return restore(session, into: index)
        case .readOnly(let session, let text):
            // Edits stay possible, to look and try, and exports too (files of their own): only
            // the session, which the other editor writes, is left alone.
            images[index].autosave = .readOnly(text)
            let effects = session.map { restore($0, into: index) } ?? []
            say("\(text); changes here are not saved", isError: true, aboutImage: index)
            return effects
        }
    }

    /// Puts a session's objects back and replays their steps. Objects made before the session
    /// arrived (a click while it was read) are numbered after the restored ones: the saved
    /// objects keep the ids their session and their exported files know them by, and the
    /// earlier ones never showed a number (`numberPending`) nor reached a session or an export
    /// (the worker answers with the session before encoding, so they had no mask yet).
    private mutating func restore(_ session: Session, into index: Int) -> [EditorEffect] {
        let saved = session.objects.filter { !$0.steps.isEmpty }
        guard !saved.isEmpty else { return [] }
        if images[index].width == nil {
            images[index].width = session.image.width
            images[index].height = session.image.height
        }
        let restored = saved.map(EditorObject.init(restoring:))
        var numbers = ObjectNumbers(next: (saved.map(\.id).max() ?? 0) + 1)
        // The same objects in the undo history, so undoing the early click keeps the session's.
        let placed: (inout ImageSnapshot) -> Void = { snapshot in
            let current = snapshot.currentObject
            let earlier = snapshot.objects.map { object in
                var object = object
                object.id = numbers.number(for: object.id)
                return object
            }
            snapshot.objects = restored + earlier
            // The next click starts a new object unless one was being edited already.
            snapshot.currentObject = earlier.isEmpty ? restored.count : restored.count + current
        }
        var present = images[index].snapshot()
        placed(&present)
        images[index].history.transformEntries { entry in
            placed(&entry.snapshot)
            entry.objectID = entry.objectID.map { numbers.number(for: $0) }
        }
        let next = numbers.next
        present.nextObjectID = max(present.nextObjectID, next)
        images[index].history.transformEntries { $0.snapshot.nextObjectID = max($0.snapshot.nextObjectID, next) }
        images[index].restore(present)
        say("Restored \(Self.counted(restored.count, "object")) from the session", aboutImage: index)
        // Replayed as soon as the image is encoded (now, if it already is).
        guard case .ready = images[index].encoding, index == currentImage else { return [] }
        return restored.indices.map { repredict(imageIndex: index, objectIndex: $0) }
    }

    /// `e`: every object with a mask, predicted again at full size by the worker.
    mutating func export(overwrite: Bool = false) -> [EditorEffect] {
        // Restored objects whose replay is still running export too: they have their steps.
        let objects = document.objects.filter { !$0.steps.isEmpty }
        guard !objects.isEmpty, let width = document.width, let height = document.height else {
            return say("Nothing to export: no object has a mask yet")
        }
        say("Exporting \(Self.counted(objects.count, "mask"))…")
        return [.export(ExportRequest(imageIndex: currentImage, imagePath: document.path, imageWidth: width, imageHeight: height,
                                      objects: objects.map(record(of:)), directory: setup.outputDirectory,
                                      overwrite: overwrite, replaceable: exportedFiles))]
    }

    mutating func exportFinished(index: Int, files: [String]) -> [EditorEffect] {
        images[index].hasUnsavedChanges = false
        exportedFiles.formUnion(files)
        let folder = files.first.map { ($0 as NSString).deletingLastPathComponent } ?? "."
        return say("Exported \(Self.counted(files.count, "file")) to \(folder)")
    }

    /// Files from elsewhere are in the way: ask, when the user is looking at that image and not
    /// answering another question.
    mutating func exportNeedsOverwrite(index: Int, existing: [String]) -> [EditorEffect] {
        guard index == currentImage, mode == .normal else {
            return sayError("Export not written: \(Self.counted(existing.count, "file")) exist")
        }
        mode = .confirmOverwrite(existing)
        return []
    }
}

extension EditorObject {
    /// A saved object as it comes back: its last step's prompt, waiting for the replay of its
    /// steps (the mask input of that prompt is not saved).
    init(restoring object: Session.Object) {
        self.init(id: object.id, colorIndex: object.id - 1, name: object.name, color: object.color)
        let last = object.steps[object.steps.count - 1]
        prompting = SessionReplay.prompt(for: last, maskInput: nil)
        chosen = last.candidate
        lineage = Array(object.steps.dropLast())
        candidatesOrigin = CandidatesOrigin(lineage: lineage, step: last)
        awaitingReplay = true
        prediction = .stale
    }
}

extension EditorState {
    /// The session of image `index` is known: objects made meanwhile show their numbers.
    fileprivate mutating func numberObjectsMadeWhileWaiting(image index: Int) {
        let numbered: (inout [EditorObject]) -> Void = { objects in
            for position in objects.indices { objects[position].numberPending = false }
        }
        numbered(&images[index].objects)
        images[index].history.transformEntries { numbered(&$0.snapshot.objects) }
    }
}

/// New numbers for the objects made before a session came back, after the session's own; one
/// object keeps one number in every snapshot it appears in.
private struct ObjectNumbers {
    var next: Int
    private var given: [Int: Int] = [:]

    init(next: Int) { self.next = next }

    mutating func number(for id: Int) -> Int {
        if let number = given[id] { return number }
        given[id] = next
        next += 1
        return next - 1
    }
}
