// Drives the dataset writers over an export's images: one class list for all formats (given,
// or continued from the files an earlier export left in DIR so ids never move), every object
// checked before any writer sees it, and the dataset-wide files written at the end.

import Foundation

public final class DatasetExport {
    public let formats: [DatasetFormat]
    public let folder: String
    public private(set) var classes: ClassList
    private let writers: [DatasetWriter]

    /// - Parameter classes: a fixed list (`--classes`, a session's); nil continues the list an
    ///   earlier export wrote into `folder` (COCO's categories, YOLO's names, VOC's labelmap)
    ///   and adds names as objects are first seen.
    public init(formats: [DatasetFormat], folder: String, options: DatasetOptions, classes: ClassList?) {
        self.formats = formats
        self.folder = folder
        let writers = formats.map { Self.writer(for: $0, folder: folder, options: options) }
        self.writers = writers
        self.classes = classes ?? writers.lazy.compactMap(\.earlierClasses).first { !$0.names.isEmpty } ?? ClassList()
    }

    static func writer(for format: DatasetFormat, folder: String, options: DatasetOptions) -> DatasetWriter {
        switch format {
        case .cocoDataset: return COCODatasetWriter(folder: folder, options: options)
        case .yolo: return YOLOWriter(folder: folder, options: options)
        case .voc: return VOCWriter(folder: folder, options: options)
        case .labelme: return LabelMeWriter(folder: folder, options: options)
        }
    }

    /// Names of the images as dataset files record them: each path relative to the deepest
    /// folder holding them all ("/"-separated).
    public static func names(for paths: [String]) -> [DatasetImage.Name] {
        let absolute = paths.map { SessionStore.absolutePath($0) }
        let folders = absolute.map { ($0 as NSString).deletingLastPathComponent.split(separator: "/").map(String.init) }
        var common = folders.first ?? []
        for folder in folders.dropFirst() {
            common = Array(zip(common, folder).prefix { $0 == $1 }.map(\.0))
        }
        return zip(paths, absolute).map { path, full in
            let parts = full.split(separator: "/").map(String.init)
            return DatasetImage.Name(path: path, fileName: parts.dropFirst(common.count).joined(separator: "/"))
        }
    }

    /// Problems that stop the export before anything is written: two images that would write
    /// the same per-image file. And the files that exist already (the caller refuses to
    /// replace them without --force).
    public func plan(_ images: [DatasetImage.Name]) -> (clashes: [String], existing: [String]) {
        var clashes: [String] = []
        if formats.contains(where: { $0 != .cocoDataset }) {
            var byStem: [String: String] = [:]
            for image in images {
                if let other = byStem[image.stem] {
                    clashes.append("\(image.path) and \(other) would write the same files (\(image.stem).*): rename one")
                } else {
                    byStem[image.stem] = image.path
                }
            }
        }
        var existing: [String] = []
        var seen = Set<String>()
        for writer in writers {
            for path in writer.plannedPaths(for: images) where seen.insert(path).inserted {
                if FileManager.default.fileExists(atPath: path) || isLink(path) { existing.append(path) }
            }
        }
        return (clashes, existing)
    }

    private func isLink(_ path: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
    }

    /// What `add` left out: objects whose class the fixed list refuses (problems: the run
    /// fails at the end) and empty masks (warnings).
    public struct Skipped: Sendable {
        public var problems: [String] = []
        public var warnings: [String] = []
    }

    /// Hands the image to every writer, without the objects that cannot be exported.
    @discardableResult
    public func add(_ image: DatasetImage) throws -> Skipped {
        var skipped = Skipped()
        var kept = image
        kept.objects = image.objects.filter { object in
            if object.mask.isEmpty {
                skipped.warnings.append("\(image.path): object \(object.id) (\(object.className)) has an empty mask: left out")
                return false
            }
            if classes.isFixed && !classes.contains(object.className) {
                let error = ClassList.UnknownClass(name: object.className, known: classes.names)
                skipped.problems.append("\(image.path): object \(object.id): \(error): left out")
                return false
            }
            return true
        }
        for writer in writers { try writer.add(kept, classes: &classes) }
        return skipped
    }

    /// Writes the dataset-wide files.
    public func finish() throws {
        for writer in writers { try writer.finish(classes: classes) }
    }
}
