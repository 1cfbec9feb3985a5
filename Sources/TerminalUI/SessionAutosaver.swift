// Writes the editor's session files in the background, so that saving after every change never
// holds up a frame. The newest snapshot of an image wins; content equal to what was last written
// is not written again. Each write is atomic (SessionStore.save): a crash or a full disk leaves
// the previous file whole. A session file that changed on disk since this editor read or wrote
// it (someone else's work) is never replaced: this editor's saves go to a conflict file beside it.
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
    /// Where an image's saves go instead of its session file, after that file changed under us
    /// (used on the queue only).
    private var conflicts: [String: String] = [:]
    private let store: @Sendable (String) -> SessionStore
    private let report: @Sendable (String) -> Void
    private let sessionGuard: SessionGuard?

    /// - Parameters:
    ///   - store: the session file of an image path.
    ///   - report: called (on the writer's queue) with a message when a write fails.
    ///   - sessionGuard: knows how each session file looked when last read or written; without
    ///     it, files are replaced without that check.
    public init(store: @escaping @Sendable (String) -> SessionStore, sessionGuard: SessionGuard? = nil,
                report: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.sessionGuard = sessionGuard
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
        let store = conflicts[imagePath].map { SessionStore(path: $0) } ?? store(imagePath)
        let session = snapshot.session(imageReferencePath: store.imageReferencePath(for: imagePath),
                                       store: { self.storedMask(of: $0, imagePath: imagePath) },
                                       recordExport: store.recordedPath(ofExport:))
        let ids = Set(snapshot.objects.map(\.id))
        encoded[imagePath] = encoded[imagePath]?.filter { ids.contains($0.key) }
        guard written[imagePath] != session else { return }
        // Merely looking at an image leaves no file behind; emptying a saved session does.
        if session.objects.isEmpty && written[imagePath] == nil && !store.exists { return }
        if conflicts[imagePath] == nil, let sessionGuard, !sessionGuard.isUnchanged(store.path) {
            return keepAside(session, imagePath: imagePath, store: store)
        }
        do {
            try store.save(session)
            written[imagePath] = session
            if conflicts[imagePath] == nil { sessionGuard?.wrote(store.path) }
        } catch {
            report("Autosave failed: \(error)")
        }
    }

    /// The session file is someone else's now: it stays as it is, and this editor's work on the
    /// image goes to a conflict file from now on (told once), for the user to compare.
    private func keepAside(_ session: Session, imagePath: String, store: SessionStore) {
        do {
            let aside = try store.saveAside(session)
            conflicts[imagePath] = aside
            written[imagePath] = session
            report("\(store.path) was changed by another program since this samterm read it: it was left as it is, "
                   + "and this editor's work is saved to \(aside)")
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
