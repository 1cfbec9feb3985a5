import Foundation

/// Images named on the command line, one argument at a time: a file as given, a folder as its
/// PNG and JPEG files (not those of its subfolders, nor hidden ones), sorted by name. `samterm
/// edit` keeps the arguments in their order; the batch commands sort the whole list and read
/// @LIST files too (BatchInputs).
enum ImageInputs {
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Throws a `UsageError` for an argument that names nothing or a folder without images.
    static func paths(named argument: String) throws -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) else {
            // An empty or blank argument would read as nothing at all: quote it.
            let shown = argument.isEmpty || argument.trimmingCharacters(in: .whitespaces) != argument ? "\"\(argument)\"" : argument
            throw UsageError("\(shown): no such file or folder")
        }
        return isFolder.boolValue ? try images(inFolder: argument) : [argument]
    }

    static func images(inFolder folder: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw UsageError("\(folder): cannot list the folder: \(error.localizedDescription)")
        }
        let pictures = names.filter { imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) && !$0.hasPrefix(".") }
        if pictures.isEmpty { throw UsageError("\(folder): no PNG or JPEG files in this folder") }
        return pictures.sorted().map { (folder as NSString).appendingPathComponent($0) }
    }
}
