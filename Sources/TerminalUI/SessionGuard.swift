// Keeps two samterms from losing each other's work on one image or video. The editor locks the
// session of the video it opens, or of each image it opens (not the ones it only prefetches),
// and holds the lock until it quits: it keeps every opened image's objects and may save them
// again whenever the user goes back, so letting go earlier would let a second editor write a
// session this one then overwrites. A second editor on a locked image or video opens it
// read-only. And whatever the locks, a save never replaces a session file that changed since
// this editor last read or wrote it (a samterm on a host whose lock we cannot judge, a person, a
// sync tool): see SessionAutosaver.
import Foundation
import Segmentation

public final class SessionGuard: @unchecked Sendable {
    private let folder: String?
    private let holder: SessionLock.Holder
    private let lock = NSLock()
    /// The locks this editor holds, by session path (guarded by `lock`).
    private var locks: [String: SessionLock] = [:]
    /// Each session file as this editor last read or wrote it, by session path; `.none` when
    /// there was none (guarded by `lock`).
    private var seen: [String: FileFingerprint?] = [:]

    public init(folder: String?, holder: SessionLock.Holder = .current) {
        self.folder = folder
        self.holder = holder
    }

    public func store(forImage imagePath: String) -> SessionStore {
        SessionStore(imagePath: imagePath, folder: folder)
    }

    /// Opens the session of `imagePath` for this editor: takes its lock and runs `load`, or,
    /// when another samterm holds the lock, reads the session without touching anything and
    /// says so (`.readOnly`). When no lock file can be made (a read-only folder) the session
    /// is loaded as before: saving it would fail too, and says why.
    public func open(imagePath: String, sha256: String, model: String, load: () -> SessionOutcome) -> SessionOutcome {
        let store = store(forImage: imagePath)
        if !holds(store.path) {
            switch try? SessionLock.acquire(sessionPath: store.path, as: holder) {
            case .acquired(let taken)?:
                withLock { locks[store.path] = taken }
            case .heldBy(let other)?:
                return readOnly(store, imagePath: imagePath, sha256: sha256, model: model, heldBy: other)
            case nil:
                break
            }
        }
        // Before reading, so that a write slipping in between is taken for a change (safe side).
        let fingerprint = store.fingerprint
        withLock { seen[store.path] = .some(fingerprint) }
        return load()
    }

    /// Locks a video's session (VideoSession.path) for this editor, until releaseAll. Returns
    /// the message to show when another samterm holds it: the video is then read-only. No lock
    /// file can be made (a read-only folder): nil, saving will say why it fails.
    public func lockVideo(sessionPath: String) -> String? {
        if holds(sessionPath) { return nil }
        switch try? SessionLock.acquire(sessionPath: sessionPath, as: holder) {
        case .acquired(let taken)?:
            withLock { locks[sessionPath] = taken }
            return nil
        case .heldBy(let other)?:
            return "read-only: the video is open in another samterm (\(other.description)); changes are not saved"
                + staleLockAdvice(other, sessionPath: sessionPath)
        case nil:
            return nil
        }
    }

    /// Whether this editor holds the lock of the session file at `sessionPath`.
    public func holds(_ sessionPath: String) -> Bool {
        withLock { locks[sessionPath] != nil }
    }

    /// Whether the session file is as this editor last read or wrote it. A missing file counts
    /// as unchanged (nobody's work is in it), as does a file this editor never opened.
    public func isUnchanged(_ sessionPath: String) -> Bool {
        guard let expected = withLock({ seen[sessionPath] }) else { return true }
        guard let now = FileFingerprint(path: sessionPath) else { return true }
        return now == expected
    }

    /// Records the session file as this editor just wrote it.
    public func wrote(_ sessionPath: String) {
        let fingerprint = FileFingerprint(path: sessionPath)
        withLock { seen[sessionPath] = .some(fingerprint) }
    }

    /// Removes this editor's lock files (quitting, or ending on a signal).
    public func releaseAll() {
        let held = withLock {
            defer { locks.removeAll() }
            return Array(locks.values)
        }
        held.forEach { $0.release() }
    }

    private func readOnly(_ store: SessionStore, imagePath: String, sha256: String, model: String,
                          heldBy other: SessionLock.Holder) -> SessionOutcome {
        let name = (imagePath as NSString).lastPathComponent
        let text = "read-only: \(name) is open in another samterm (\(other.description))"
            + staleLockAdvice(other, sessionPath: store.path)
        // The file is the holder's: a corrupt one is left where it is.
        let reader = SessionStore(path: store.path, setsCorruptAside: false)
        if case .found(let session) = SessionOutcome.load(reader, sha256: sha256, model: model) {
            return .readOnly(session, text)
        }
        return .readOnly(nil, text)
    }

    /// For a holder on another host, how to free a lock it left behind ("" on this host).
    private func staleLockAdvice(_ other: SessionLock.Holder, sessionPath: String) -> String {
        // Its pid means nothing here: only the user can tell whether it still runs.
        guard other.host != holder.host else { return "" }
        return "; if that samterm is not running any more, delete \(SessionLock.lockPath(forSession: sessionPath))"
    }

    private func withLock<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
