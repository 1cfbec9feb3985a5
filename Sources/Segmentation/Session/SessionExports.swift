// The record of what samterm exported, kept in each image's session (`exports`): where a file is
// recorded, where a recorded one lies, and every file the sessions of a folder recorded (which
// listing a folder leaves out, so that samterm's outputs never become its inputs).
import Foundation

extension SessionStore {
    /// How the session records an exported file: relative to the session file's folder when it
    /// lies below it (so the folder can move whole), absolute otherwise.
    public func recordedPath(ofExport path: String) -> String {
        let file = Self.absolutePath(path)
        let folder = Self.absolutePath((self.path as NSString).deletingLastPathComponent)
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return file.hasPrefix(prefix) ? String(file.dropFirst(prefix.count)) : file
    }

    /// The files `session` records as exported, as absolute paths.
    public func exportedFiles(of session: Session) -> [String] {
        Self.resolve(session.exports ?? [], folder: (path as NSString).deletingLastPathComponent)
    }

    /// Every file the sessions (`*.samterm.json`) in `folder` record as exported, as absolute
    /// paths. Only the `exports` field is read; a session that cannot be read or parsed is
    /// skipped and left as it is (listing a folder must neither fail nor change anything).
    public static func recordedExports(inFolder folder: String) -> Set<String> {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var files = Set<String>()
        for name in names where name.hasSuffix(fileSuffix) && !name.hasPrefix(".") {
            let path = (folder as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path),
                  let record = try? JSONDecoder().decode(ExportsOnly.self, from: data),
                  record.format == Session.formatName else { continue }
            files.formUnion(resolve(record.exports ?? [], folder: folder))
        }
        return files
    }

    /// A session's header and its record of exports, nothing else.
    private struct ExportsOnly: Decodable {
        var format: String?
        var exports: [String]?
    }

    private static func resolve(_ recorded: [String], folder: String) -> [String] {
        recorded.filter { !$0.isEmpty }.map { entry in
            absolutePath(entry.hasPrefix("/") ? entry : (folder as NSString).appendingPathComponent(entry))
        }
    }

    /// `path` made absolute (against the working folder) and standardized, for comparing paths.
    public static func absolutePath(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return (full as NSString).standardizingPath
    }
}
