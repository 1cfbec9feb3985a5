import Foundation
import Segmentation

/// Images named on the command line, one argument at a time: a file as given, a folder as its
/// PNG and JPEG files (not those of its subfolders, nor hidden ones, nor the files samterm
/// exported from its images), sorted by name. `samterm edit` keeps the arguments in their order;
/// the batch commands sort the whole list and read @LIST files too (BatchInputs).
enum ImageInputs {
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Throws a `UsageError` for an argument that names nothing or a folder without images.
    /// `sessionFolder`: where sessions are kept when not beside their images (`--session-dir`),
    /// whose records of exports count too.
    static func paths(named argument: String, sessionFolder: String? = nil) throws -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) else {
            // An empty or blank argument would read as nothing at all: quote it.
            let shown = argument.isEmpty || argument.trimmingCharacters(in: .whitespaces) != argument ? "\"\(argument)\"" : argument
            throw UsageError("\(shown): no such file or folder")
        }
        return isFolder.boolValue ? try images(inFolder: argument, sessionFolder: sessionFolder) : [argument]
    }

    static func images(inFolder folder: String, sessionFolder: String? = nil) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw UsageError("\(folder): cannot list the folder: \(error.localizedDescription)")
        }
        let pictures = names.filter { imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) && !$0.hasPrefix(".") }
        if pictures.isEmpty { throw UsageError("\(folder): no PNG or JPEG files in this folder") }
        var exported = samtermExports(inFolder: folder)
        if let sessionFolder { exported.formUnion(SessionStore.recordedExports(inFolder: sessionFolder)) }
        let images = pictures.sorted().map { (folder as NSString).appendingPathComponent($0) }
            .filter { !exported.contains(SessionStore.absolutePath($0)) }
        if images.isEmpty {
            throw UsageError("\(folder): its PNG and JPEG files are all samterm's exports (recorded in the images' sessions), not images to open")
        }
        return images
    }

    /// The files samterm exported into `folder`, by the record in the sessions beside the images
    /// (SessionStore.recordedExports): those of the folder itself, and for a `samterm-export`
    /// folder those of the folder it lies in, where its images and their sessions are.
    static func samtermExports(inFolder folder: String) -> Set<String> {
        var exported = SessionStore.recordedExports(inFolder: folder)
        let absolute = SessionStore.absolutePath(folder)
        if (absolute as NSString).lastPathComponent == Exporter.exportFolderName {
            exported.formUnion(SessionStore.recordedExports(inFolder: (absolute as NSString).deletingLastPathComponent))
        }
        return exported
    }
}
