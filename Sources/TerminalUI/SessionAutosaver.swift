// Writes the editor's session files in the background, so that saving after every change never
// holds up a frame. The newest snapshot of an image wins; content equal to what was last written
// is not written again. Each write is atomic (SessionStore.save): a crash or a full disk leaves
// the previous file whole.
import Foundation
import Segmentation

public final class SessionAutosaver: @unchecked Sendable {
    private let queue = DispatchQueue(label: "samterm.session-autosave")
    private let lock = NSLock()
    /// Snapshots waiting for the queue, by image path (guarded by `lock`).
    private var pending: [String: ImageSessionSnapshot] = [:]
    /// What each session file was last written with (used on the queue only).
    private var written: [String: Session] = [:]
    /// Each object's mask as last encoded, by image path and object id (used on the queue only).
    private var encoded: [String: [Int: (mask: BinaryMask, stored: Session.StoredMask)]] = [:]
    private let store: @Sendable (String) -> SessionStore
    private let report: @Sendable (String) -> Void

    /// - Parameters:
    ///   - store: the session file of an image path.
    ///   - report: called (on the writer's queue) with a message when a write fails.
    public init(store: @escaping @Sendable (String) -> SessionStore, report: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.report = report
    }

    public func save(_ snapshot: ImageSessionSnapshot) {
        lock.lock()
        let queued = pending[snapshot.imagePath] != nil
        pending[snapshot.imagePath] = snapshot
        lock.unlock()
        if !queued { queue.async { self.writePending(imagePath: snapshot.imagePath) } }
    }

    /// Returns once every snapshot handed over so far is on disk (or has failed).
    public func flush() {
        queue.sync {}
    }

    private func writePending(imagePath: String) {
        lock.lock()
        let snapshot = pending.removeValue(forKey: imagePath)
        lock.unlock()
        guard let snapshot else { return }
        let store = store(imagePath)
        let session = snapshot.session(imageReferencePath: store.imageReferencePath(for: imagePath)) {
            self.storedMask(of: $0, imagePath: imagePath)
        }
        let ids = Set(snapshot.objects.map(\.id))
        encoded[imagePath] = encoded[imagePath]?.filter { ids.contains($0.key) }
        guard written[imagePath] != session else { return }
        // Merely looking at an image leaves no file behind; emptying a saved session does.
        if session.objects.isEmpty && written[imagePath] == nil && !store.exists { return }
        do {
            try store.save(session)
            written[imagePath] = session
        } catch {
            report("Autosave failed: \(error)")
        }
    }

    /// Run-length encoding a full-size mask takes milliseconds, and a save happens on every
    /// change while a prediction may be running: each mask is encoded once, when it changes.
    private func storedMask(of object: ImageSessionSnapshot.Object, imagePath: String) -> Session.StoredMask? {
        guard let mask = object.mask else { return nil }
        let score = Double(object.score ?? 0)
        if let last = encoded[imagePath]?[object.id], last.stored.score == score, last.mask == mask { return last.stored }
        let stored = Session.StoredMask(mask: mask, score: score)
        encoded[imagePath, default: [:]][object.id] = (mask, stored)
        return stored
    }
}
