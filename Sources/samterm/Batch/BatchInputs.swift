import Foundation

/// The images a batch command was given, as one sorted list: files and folders as ImageInputs
/// reads them, and the lines of `@LIST` files. Sorting makes the list, and so every `--shard`
/// slice of it, the same on every machine whatever the argument order.
enum BatchInputs {
    /// Throws a `UsageError` for an argument that names nothing, an unreadable list, a folder
    /// without images, or no images at all. Files named in a list are not checked here: one
    /// that is missing fails as that image, so one stale line does not stop a long run.
    static func expand(_ arguments: [String]) throws -> [String] {
        var paths: [String] = []
        for argument in arguments {
            if argument.hasPrefix("@") {
                paths += try listedPaths(in: String(argument.dropFirst()))
                continue
            }
            paths += try ImageInputs.paths(named: argument)
        }
        if paths.isEmpty { throw UsageError("no images given") }
        return Array(Set(paths)).sorted()
    }

    /// True when the arguments name exactly one image file directly (no folder, no list).
    static func isSingleFile(_ arguments: [String]) -> Bool {
        guard arguments.count == 1, let only = arguments.first, !only.hasPrefix("@") else { return false }
        var isFolder: ObjCBool = false
        return !(FileManager.default.fileExists(atPath: only, isDirectory: &isFolder) && isFolder.boolValue)
    }

    /// One path per line, relative to the working directory (as `find ... > list.txt` writes
    /// them); blank lines and lines starting with `#` are ignored.
    static func listedPaths(in list: String) throws -> [String] {
        guard !list.isEmpty else { throw UsageError("@: name the list file, as in @images.txt") }
        guard let data = FileManager.default.contents(atPath: list) else {
            throw UsageError("@\(list): cannot read the list file")
        }
        return parseList(String(decoding: data, as: UTF8.self))
    }

    static func parseList(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}
