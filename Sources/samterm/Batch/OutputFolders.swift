import Foundation
import Segmentation

/// The layout of batch commands that write files per image: OUT/NAME/ for each image, NAME
/// being the image's file name without extension.
enum OutputFolders {
    static func name(for input: String) -> String {
        ((input as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    static func folder(for input: String, in out: String) -> String {
        (out as NSString).appendingPathComponent(name(for: input))
    }

    /// OUT/NAME.json: the one file per image of `auto`.
    static func jsonFile(for input: String, in out: String) -> String {
        (out as NSString).appendingPathComponent(name(for: input) + ".json")
    }

    /// Two images with the same name (a/x.png, b/x.jpg) would share a folder: refuse the run
    /// before it starts, naming both.
    static func checkDistinct(_ inputs: [String]) throws {
        var owners: [String: String] = [:]
        for input in inputs {
            let folderName = name(for: input)
            if let earlier = owners[folderName] {
                throw UsageError("\(earlier) and \(input) would both write their outputs into the folder \(folderName): rename one, or run them separately")
            }
            owners[folderName] = input
        }
    }

    static func removeIfPresent(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        try FileManager.default.removeItem(atPath: path)
    }

    /// Deletes the temporary files a killed run left in `folder` (".NAME.partial-XXXXXX", see
    /// AtomicFileWriter) and any file `isStale` picks.
    static func removeLeftovers(in folder: String, isStale: (String) -> Bool = { _ in false }) throws {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            let partial = name.hasPrefix(".") && name.contains(".partial-")
            if partial || isStale(name) { try removeIfPresent((folder as NSString).appendingPathComponent(name)) }
        }
    }

    /// Makes an image's folder of outputs whole or not at all, even when the run is killed:
    /// `write` fills a new hidden folder `.NAME.partial-XXXXXX` beside `folder`, which then takes
    /// the name (an earlier run's folder is moved aside first and removed after). A kill leaves
    /// only hidden folders, which the image's next run removes.
    static func replaceFolder(_ folder: String, write: (String) throws -> Void) throws {
        let parent = (folder as NSString).deletingLastPathComponent
        let name = (folder as NSString).lastPathComponent
        try AtomicFileWriter.createFolder(parent.isEmpty ? "." : parent)
        // Only this image's leftovers: another shard may be writing its own beside them.
        try removeLeftovers(in: parent.isEmpty ? "." : parent) { $0.hasPrefix(".\(name).partial-") || $0.hasPrefix(".\(name).replaced-") }
        let staging = try hiddenFolder(beside: folder, kind: "partial")
        do {
            try write(staging)
            if FileManager.default.fileExists(atPath: folder) {
                let aside = try hiddenFolder(beside: folder, kind: "replaced")
                guard rename(folder, aside + "/" + name) == 0 else { throw FileWriteError(path: folder, errno: errno) }
                guard rename(staging, folder) == 0 else { throw FileWriteError(path: folder, errno: errno) }
                try? FileManager.default.removeItem(atPath: aside)
            } else {
                guard rename(staging, folder) == 0 else { throw FileWriteError(path: folder, errno: errno) }
            }
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
    }

    private static func hiddenFolder(beside folder: String, kind: String) throws -> String {
        let parent = (folder as NSString).deletingLastPathComponent
        let template = (parent.isEmpty ? "." : parent) + "/.\((folder as NSString).lastPathComponent).\(kind)-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard mkdtemp(&bytes) != nil else { throw FileWriteError(path: parent, errno: errno) }
        return String(cString: bytes)
    }
}
