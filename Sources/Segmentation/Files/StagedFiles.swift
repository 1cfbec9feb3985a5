// The outputs of one run as a set: every file is written to a temporary file beside its target
// first (where a full disk or a missing permission shows), and only when all are on disk do
// they take their names. A failure, or a set dropped without `commit`, leaves no new file.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

public final class StagedFiles {
    private let replacing: Bool
    private let openTemporary: AtomicFileWriter.TemporaryOpener
    private var staged: [Staged] = []
    private var finished = false

    private enum Staged {
        /// A complete temporary file waiting to be renamed to `target`.
        case file(temporary: String, target: String, asked: String)
        /// Bytes for a pipe or a device, written when the set is committed.
        case stream(bytes: [UInt8], path: String)
    }

    /// - Parameter replacing: false refuses to overwrite existing files (`.alreadyExists`).
    /// - Parameter mode: permissions of new files (the umask applies).
    public convenience init(replacing: Bool = true, mode: mode_t = 0o644) {
        self.init(replacing: replacing) { folder, name in
            try AtomicFileWriter.openTemporaryFile(folder: folder, name: name, mode: mode)
        }
    }

    public init(replacing: Bool, openTemporary: @escaping AtomicFileWriter.TemporaryOpener) {
        self.replacing = replacing
        self.openTemporary = openTemporary
    }

    deinit { discard() }

    /// Writes `bytes` for `path` into a temporary file now (or keeps them, for a pipe or a
    /// device). On failure every file staged so far is removed.
    public func stage(_ bytes: [UInt8], at path: String) throws {
        precondition(!finished, "a committed or discarded set takes no more files")
        do {
            let name = (path as NSString).lastPathComponent
            guard !name.isEmpty, !path.hasSuffix("/") else {
                throw FileWriteError(path: path, reason: .system("the path names a folder, not a file"))
            }
            switch try OutputTarget.resolve(path) {
            case .stream(let target):
                if !replacing { throw FileWriteError(path: path, reason: .alreadyExists) }
                staged.append(.stream(bytes: bytes, path: target))
            case .file(let target):
                let folder = (target as NSString).deletingLastPathComponent
                let temporary = try openTemporary(folder.isEmpty ? "." : folder, (target as NSString).lastPathComponent)
                staged.append(.file(temporary: temporary.path, target: target, asked: path))
                defer { close(temporary.descriptor) }
                try AtomicFileWriter.writeAll(bytes, to: temporary.descriptor, path: path)
                // Data must be on disk before the name points at it, or a crash could leave an empty file.
                guard fsync(temporary.descriptor) == 0 else { throw FileWriteError(path: path, errno: errno) }
            }
        } catch {
            discard()
            throw error
        }
    }

    /// Gives every staged file its name. When one cannot be placed, the files this set already
    /// placed that were new are removed again (replaced ones cannot be brought back).
    public func commit() throws {
        precondition(!finished, "a set is committed once")
        finished = true
        var placedNew: [String] = []
        var folders = Set<String>()
        do {
            for (index, item) in staged.enumerated() {
                switch item {
                case .stream(let bytes, let path):
                    try OutputTarget.writeInPlace(bytes, to: path)
                case .file(let temporary, let target, let asked):
                    let existed = access(target, F_OK) == 0
                    if replacing {
                        guard rename(temporary, target) == 0 else { throw FileWriteError(path: asked, errno: errno) }
                    } else {
                        do {
                            try AtomicFileWriter.linkWithoutReplacing(temporary, to: target)
                        } catch let error as FileWriteError {
                            throw FileWriteError(path: asked, reason: error.reason)
                        }
                        unlink(temporary)
                    }
                    staged[index] = .stream(bytes: [], path: target)  // placed: nothing to remove
                    if !existed { placedNew.append(target) }
                    let folder = (target as NSString).deletingLastPathComponent
                    folders.insert(folder.isEmpty ? "." : folder)
                }
            }
        } catch {
            for path in placedNew { unlink(path) }
            removeTemporaries()
            throw error
        }
        for folder in folders { AtomicFileWriter.syncFolder(folder) }
    }

    /// Drops the set: its temporary files are removed and nothing is placed.
    public func discard() {
        guard !finished else { return }
        finished = true
        removeTemporaries()
    }

    private func removeTemporaries() {
        for case .file(let temporary, _, _) in staged { unlink(temporary) }
        staged.removeAll()
    }
}
