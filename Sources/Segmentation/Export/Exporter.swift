// Writes an image's objects in the formats datasets and viewers use.
//
// Files, for an image `photo.jpg` with objects numbered 1...n in order (NN zero-padded):
//   png       photo_mask_NN[_name].png     8-bit gray, 0 outside / 255 inside, image size
//   labelmap  photo_labels.png             object i has value i, 0 background; 8-bit for up
//                                          to 255 objects, 16-bit beyond; earlier objects win
//   cutout    photo_cutout_NN[_name].png   RGBA, cropped to the object's box, transparent
//                                          outside the mask (none for an empty mask)
//   overlay   photo_overlay.png            the image with every mask in its colour at alpha 0.6
//   coco      photo_coco.json              COCO instances, compressed RLE (COCOWriter)
//   polygons  photo_polygons.json          the same with polygon outer contours
//
// With `noOverlaps`, every format gets each object's mask without the pixels of the objects
// before it (MaskSculpting.exclusive). Nothing is overwritten unless `force`: existing targets are all reported before anything is
// written. Each file is written atomically, so a failure (unwritable folder, full disk) leaves
// the files written before it complete and the failing target as it was.

import Foundation

public enum ExportFormat: String, CaseIterable, Sendable {
    case png, labelmap, cutout, coco, overlay, polygons

    /// What the editor writes unless the config says otherwise.
    public static let defaults: [ExportFormat] = [.png, .coco]

    /// Parses "png,coco" (case-insensitive, spaces allowed); throws naming the unknown format.
    public static func parseList(_ text: String) throws -> [ExportFormat] {
        var formats: [ExportFormat] = []
        for item in text.split(separator: ",") {
            let name = item.trimmingCharacters(in: .whitespaces).lowercased()
            guard let format = ExportFormat(rawValue: name) else {
                throw ExportError.unknownFormat(name: name)
            }
            if !formats.contains(format) { formats.append(format) }
        }
        guard !formats.isEmpty else { throw ExportError.unknownFormat(name: text) }
        return formats
    }
}

/// One object to export: its full-resolution mask and what describes it.
public struct ExportObject: Sendable {
    public var id: Int
    public var name: String?
    public var color: RGBColor
    public var mask: BinaryMask
    /// The model's predicted IoU of the kept candidate, if known.
    public var score: Double?
    /// The predictions that produced the mask (COCO annotations record the prompts).
    public var steps: [Session.Step]

    public init(id: Int, name: String? = nil, color: RGBColor, mask: BinaryMask, score: Double? = nil,
                steps: [Session.Step] = []) {
        self.id = id
        self.name = name
        self.color = color
        self.mask = mask
        self.score = score
        self.steps = steps
    }
}

public enum ExportError: Error, Equatable, CustomStringConvertible, Sendable {
    case unknownFormat(name: String)
    /// Targets that exist; nothing was written.
    case filesExist([String])
    /// The output folder cannot be created or is not a folder; nothing was written.
    case folder(FileWriteError)
    /// Writing one file failed; none of the export's files was placed.
    case writeFailed(FileWriteError)
    /// Encoding a picture failed (out of memory...).
    case encoding(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownFormat(let name):
            return "unknown export format \"\(name)\" (known: \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .filesExist(let paths):
            let shown = paths.prefix(5).joined(separator: ", ") + (paths.count > 5 ? " and \(paths.count - 5) more" : "")
            return "\(paths.count == 1 ? "a file already exists" : "\(paths.count) files already exist"): \(shown); "
                + "nothing was written (overwrite with --force)"
        case .folder(let error):
            return "\(error.path): cannot use it as the output folder: \(error.reasonText)"
        case .writeFailed(let error):
            return "\(error); none of the export's files was written"
        case .encoding(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}

public struct Exporter: Sendable {
    public var image: RGBImage
    /// The image file, whose name (without extension) starts every output name.
    public var imagePath: String
    public var objects: [ExportObject]
    /// Recorded in the COCO file's `info`.
    public var model: String?
    /// For the polygons format: largest distance (pixels) a dropped contour point may lie from
    /// the simplified polygon.
    public var polygonTolerance: Double = 1.0

    /// - Parameter noOverlaps: each object's mask leaves out the pixels of the objects before it.
    public init(image: RGBImage, imagePath: String, objects: [ExportObject], model: String? = nil, noOverlaps: Bool = false) {
        precondition(objects.allSatisfy { $0.mask.width == image.width && $0.mask.height == image.height },
                     "every mask must have the image's size")
        self.image = image
        self.imagePath = imagePath
        self.objects = objects
        if noOverlaps {
            for (index, mask) in MaskSculpting.exclusive(objects.map(\.mask)).enumerated() { self.objects[index].mask = mask }
        }
        self.model = model
    }

    /// The folder the editor's exports go to by default, beside the image: kept apart from the
    /// images so that listing their folder never takes an export for an image.
    public static let exportFolderName = "samterm-export"

    /// `IMAGE_FOLDER/samterm-export`.
    public static func defaultFolder(forImage imagePath: String) -> String {
        let folder = (imagePath as NSString).deletingLastPathComponent
        return ((folder.isEmpty ? "." : folder) as NSString).appendingPathComponent(exportFolderName)
    }

    /// The image's own folder (`samterm export` writes there unless told otherwise).
    public var imageFolder: String {
        let folder = (imagePath as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    private var stem: String {
        let name = (imagePath as NSString).lastPathComponent
        let stem = (name as NSString).deletingPathExtension
        return stem.isEmpty ? name : stem
    }

    /// One file an export will write.
    public struct PlannedFile: Equatable, Sendable {
        public var format: ExportFormat
        public var path: String
        /// For per-object formats (png, cutout), the object's index in `objects`.
        public var objectIndex: Int?
    }

    /// The files the formats produce in `folder`, in the order they are written.
    public func plannedFiles(formats: [ExportFormat], folder: String) -> [PlannedFile] {
        var files: [PlannedFile] = []
        func add(_ format: ExportFormat, _ name: String, _ objectIndex: Int? = nil) {
            files.append(PlannedFile(format: format, path: (folder as NSString).appendingPathComponent(name),
                                     objectIndex: objectIndex))
        }
        var seen = Set<ExportFormat>()
        for format in formats where seen.insert(format).inserted {
            switch format {
            case .png:
                for index in objects.indices { add(format, "\(stem)_mask_\(objectTag(index)).png", index) }
            case .labelmap:
                add(format, "\(stem)_labels.png")
            case .cutout:
                for index in objects.indices where !objects[index].mask.isEmpty {
                    add(format, "\(stem)_cutout_\(objectTag(index)).png", index)
                }
            case .overlay:
                add(format, "\(stem)_overlay.png")
            case .coco:
                add(format, "\(stem)_coco.json")
            case .polygons:
                add(format, "\(stem)_polygons.json")
            }
        }
        return files
    }

    /// "03_red-car": the object's number padded so names sort, and its name made file-safe.
    private func objectTag(_ index: Int) -> String {
        let digits = max(2, String(objects.count).count)
        let number = String(repeating: "0", count: max(0, digits - String(index + 1).count)) + String(index + 1)
        let slug = Self.slug(objects[index].name ?? "")
        return slug.isEmpty ? number : "\(number)_\(slug)"
    }

    /// Lowercase ASCII letters, digits and single dashes, at most 40 characters.
    static func slug(_ name: String) -> String {
        var result = ""
        for scalar in name.lowercased().unicodeScalars {
            if scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar)) {
                result.unicodeScalars.append(scalar)
            } else if !result.isEmpty && !result.hasSuffix("-") {
                result += "-"
            }
        }
        while result.hasSuffix("-") { result.removeLast() }
        return String(result.prefix(40))
    }

    /// Writes the formats into `folder` (created if missing) and returns the paths written.
    @discardableResult
    public func write(formats: [ExportFormat], to folder: String, force: Bool = false) throws -> [String] {
        do {
            try AtomicFileWriter.createFolder(folder)
        } catch let error as FileWriteError {
            throw ExportError.folder(error)
        }
        let planned = plannedFiles(formats: formats, folder: folder)
        if !force {
            let existing = planned.map(\.path).filter { FileManager.default.fileExists(atPath: $0) }
            if !existing.isEmpty { throw ExportError.filesExist(existing) }
        }
        // The files are one set: staged one by one (each picture is built only when its turn
        // comes, so memory holds one at a time), then all placed, or none.
        let files = StagedFiles(replacing: force)
        do {
            for file in planned { try files.stage(try encode(file), at: file.path) }
            try files.commit()
        } catch let error as FileWriteError {
            if error.reason == .alreadyExists { throw ExportError.filesExist([error.path]) }
            throw ExportError.writeFailed(error)
        }
        return planned.map(\.path)
    }

    private func encode(_ file: PlannedFile) throws -> [UInt8] {
        let path = file.path
        let width = image.width, height = image.height
        let fileName = (imagePath as NSString).lastPathComponent
        do {
            switch file.format {
            case .png:
                let object = objects[file.objectIndex!]
                return try PNGWriter(gray8: object.mask.grayBytes, width: width, height: height).encodePNG()
            case .labelmap:
                switch MaskRendering.labelMap(objects.map(\.mask), width: width, height: height) {
                case .eightBit(let labels): return try PNGWriter(gray8: labels, width: width, height: height).encodePNG()
                case .sixteenBit(let labels): return try PNGWriter(gray16: labels, width: width, height: height).encodePNG()
                }
            case .cutout:
                let object = objects[file.objectIndex!]
                let box = object.mask.boundingBox!
                let rgba = MaskRendering.cutout(image: image, mask: object.mask, box: box)
                return try PNGWriter(rgba: rgba, width: box.width, height: box.height).encodePNG()
            case .overlay:
                let picture = MaskRendering.overlay(image: image, masks: objects.map { ($0.mask, $0.color) })
                return try PNGWriter(image: picture).encodePNG()
            case .coco:
                return try COCOWriter.encode(imageFileName: fileName, width: width, height: height, objects: objects,
                                             segmentation: .rle, model: model)
            case .polygons:
                return try COCOWriter.encode(imageFileName: fileName, width: width, height: height, objects: objects,
                                             segmentation: .polygons(tolerance: polygonTolerance), model: model)
            }
        } catch let error as ImageError {
            throw ExportError.encoding(path: path, reason: error.reasonText)
        } catch {
            throw ExportError.encoding(path: path, reason: "\(error)")
        }
    }
}
