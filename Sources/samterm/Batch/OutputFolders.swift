import Foundation

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
}
