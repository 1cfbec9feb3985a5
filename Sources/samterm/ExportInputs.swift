import Foundation
import Segmentation

/// The sessions `samterm export` was pointed at: session files as given, images' sessions
/// (beside them or in --session-dir), every image of a folder, the lines of @LIST files.
struct ExportInputs {
    let sessionDir: String?

    struct Stores {
        /// One per image, in argument order (folders sorted), no image twice.
        var sessions: [SessionStore] = []
        /// Images of folders and lists that have no session: left out of the export.
        var withoutSession: [String] = []
    }

    /// Throws a `UsageError` for an argument that names nothing, and an `ExportFailure` for an
    /// image named by itself that has no session.
    func stores(for arguments: [String]) throws -> Stores {
        var stores = Stores()
        var seen = Set<String>()
        func add(_ store: SessionStore) {
            if seen.insert(SessionStore.absolutePath(store.path)).inserted { stores.sessions.append(store) }
        }
        for argument in arguments {
            if argument.hasPrefix("@") {
                for path in try BatchInputs.listedPaths(in: String(argument.dropFirst())) {
                    guard FileManager.default.fileExists(atPath: path) else { throw UsageError("\(argument): \(path): no such file") }
                    let store = self.store(forFile: path)
                    if store.exists { add(store) } else { stores.withoutSession.append(path) }
                }
                continue
            }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) else {
                throw ExportFailure("\(argument): no such file")
            }
            if isFolder.boolValue {
                for image in try ImageInputs.images(inFolder: argument, sessionFolder: sessionDir) {
                    let store = SessionStore(imagePath: image, folder: sessionDir)
                    if store.exists { add(store) } else { stores.withoutSession.append(image) }
                }
            } else {
                let store = self.store(forFile: argument)
                guard store.exists else {
                    throw ExportFailure("\(argument): no session found (looked for \(store.path)); open the image in samterm first")
                }
                add(store)
            }
        }
        return stores
    }

    /// A session file's store, or the store of an image's session.
    private func store(forFile path: String) -> SessionStore {
        path.hasSuffix(SessionStore.fileSuffix) || looksLikeJSON(path)
            ? SessionStore(path: path)
            : SessionStore(imagePath: path, folder: sessionDir)
    }

    private func looksLikeJSON(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let start = (try? handle.read(upToCount: 64)) ?? Data()
        return start.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }) == UInt8(ascii: "{")
    }
}
