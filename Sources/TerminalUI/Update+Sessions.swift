// The update's sessions and export: an image's saved work coming back, and exporting it (the
// dialog that starts an export is Update+ExportDialog).
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
            images[index].exports = session.exports ?? []
            return restore(session, into: index)
        case .readOnly(let session, let text):
            // Edits stay possible, to look and try, and exports too (files of their own): only
            // the session, which the other editor writes, is left alone.
            images[index].autosave = .readOnly(text)
            images[index].exports = session?.exports ?? []
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
        images[index].noOverlaps = session.noOverlaps ?? false
        if setup.classes == nil, let classes = session.classes {
            images[index].classes = classes
            images[index].classIDs = session.classIDs
        }
        let saved = session.objects.filter { !$0.isEmpty }
        guard !saved.isEmpty else { return [] }
        if images[index].width == nil {
            images[index].width = session.image.width
            images[index].height = session.image.height
        }
        let restored = saved.map { EditorObject(restoring: $0, imageWidth: session.image.width, imageHeight: session.image.height) }
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
        selectWantedObject(image: index)
        say("Restored \(Self.counted(restored.count, "object")) from the session", aboutImage: index)
        // Replayed as soon as the image is encoded (now, if it already is).
        guard case .ready = images[index].encoding, index == currentImage else { return [] }
        return restored.indices.filter { restored[$0].awaitingReplay }.map { repredict(imageIndex: index, objectIndex: $0) }
    }

    /// Every object with a mask of each image in `indices`, predicted again at full size by the
    /// worker, in the formats last chosen in the export dialog.
    mutating func export(images indices: [Int], overwrite: Bool = false) -> [EditorEffect] {
        let formats = exportChoice?.formats ?? setup.exportFormats
        var requests: [ExportRequest] = []
        for index in indices {
            let document = images[index]
            // Restored objects whose replay is still running export too: they have their steps.
            let objects = document.objects.filter { !$0.steps.isEmpty || ($0.prompting.isEmpty && !$0.edits.isEmpty) }
            guard !objects.isEmpty, let width = document.width, let height = document.height else { continue }
            requests.append(ExportRequest(imageIndex: index, imagePath: document.path, imageWidth: width, imageHeight: height,
                                          objects: objects.map(record(of:)), noOverlaps: document.noOverlaps,
                                          directory: exportFolder,
                                          overwrite: overwrite, replaceable: exportedFiles.union(document.exports),
                                          formats: formats, earlier: document.exports))
        }
        guard !requests.isEmpty else { return say("Nothing to export: no object has a mask yet") }
        let masks = Self.counted(requests.map(\.objects.count).reduce(0, +), "mask")
        say(requests.count == 1 ? "Exporting \(masks)…" : "Exporting \(masks) of \(requests.count) images…")
        exportBatch = requests.count > 1 ? ExportBatch(waiting: Set(requests.map(\.imageIndex))) : nil
        return requests.map(EditorEffect.export)
    }

    mutating func exportFinished(index: Int, files: [String], removed: [String] = []) -> [EditorEffect] {
        images[index].hasUnsavedChanges = false
        exportedFiles.formUnion(files)
        // The record: what this export wrote, and what the last one wrote that is still there.
        let gone = Set(removed).union(files)
        images[index].exports = files + images[index].exports.filter { !gone.contains($0) }
        if exportBatch?.waiting.contains(index) == true {
            exportBatch?.written(files: files.count, removed: removed.count)
            batchStepDone(index)
            return autosave(image: index)
        }
        let folder = files.first.map { ($0 as NSString).deletingLastPathComponent } ?? "."
        let of = index == currentImage ? "" : " of \(images[index].name)"
        say("Exported \(Self.counted(files.count, "file"))\(of) to \(folder)\(ExportBatch.removedText(removed.count))")
        return autosave(image: index)
    }

    /// An export failed: said at once, or, in an export of several images, in its summary.
    mutating func exportFailed(index: Int, message text: String) -> [EditorEffect] {
        guard exportBatch?.waiting.contains(index) == true else { return sayError("Export failed: \(text)") }
        exportBatch?.failures.append("\(images[index].name) (\(text))")
        batchStepDone(index)
        return []
    }

    /// One image of an export of several is done: the progress, or the summary after the last.
    private mutating func batchStepDone(_ index: Int) {
        guard var batch = exportBatch else { return }
        batch.waiting.remove(index)
        exportBatch = batch.waiting.isEmpty ? nil : batch
        if batch.waiting.isEmpty {
            message = StatusMessage(batch.summary(destination: exportDestination(.allImages)), isError: !batch.failures.isEmpty)
        } else {
            say("Exporting… \(batch.images + batch.failures.count) of \(batch.images + batch.failures.count + batch.waiting.count) images done")
        }
    }

    /// Files from elsewhere are in the way: ask, when the user is looking at that image and not
    /// answering another question.
    mutating func exportNeedsOverwrite(index: Int, existing: [String]) -> [EditorEffect] {
        if exportBatch?.waiting.contains(index) == true {
            exportBatch?.failures.append("\(images[index].name) (\(Self.counted(existing.count, "file")) from elsewhere in the way: "
                                         + "export it alone to replace them)")
            batchStepDone(index)
            return []
        }
        guard index == currentImage, mode == .normal else {
            return sayError("Export of \(images[index].name) not written: \(Self.counted(existing.count, "file")) exist; "
                            + "export it from its screen to replace them")
        }
        mode = .confirmOverwrite(existing)
        return []
    }
}

extension EditorObject {
    /// A saved object as it comes back: its last step's prompt, waiting for the replay of its
    /// steps (the mask input of that prompt is not saved); an imported mask at the display size.
    init(restoring object: Session.Object, imageWidth: Int, imageHeight: Int) {
        self.init(id: object.id, colorIndex: object.id - 1, name: object.name, color: object.color)
        category = object.category
        confidence = object.confidence
        edits = object.edits
        if let stored = object.base, let full = try? stored.decode(width: imageWidth, height: imageHeight) {
            base = stored
            let size = EditorState.displayMaskSize(width: imageWidth, height: imageHeight)
            baseMask = size == (imageWidth, imageHeight) ? full : full.resizedNearest(width: size.width, height: size.height)
        }
        // Painted from nothing: no prompt to replay.
        guard let last = object.steps.last else { return }
        prompting = SessionReplay.prompt(for: last, maskInput: nil)
        maskInputEdits = last.maskInputEdits
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
