// `labelme`: one NAME.json per image in LabelMe's own format, beside the image (or in a
// folder): polygons labelled with the object's class, `imagePath` relative to the JSON file,
// `imageData` null (LabelMe reads the image from imagePath). Polygons run through the boundary
// pixels' centres, so LabelMe's own shape_to_mask fills them back to the mask. An object with
// several parts is one shape per part sharing a `group_id` (the object's number); LabelMe's
// polygons cannot hold holes: they are filled.

import Foundation

public final class LabelMeWriter: DatasetWriter {
    /// The LabelMe file format version written (the one LabelMe 5 and 6 read and write).
    public static let formatVersion = "5.5.0"

    public let folder: String?
    public let options: DatasetOptions

    /// `folder` is unused: options.labelmeFolder, when set, holds the files, else each lies
    /// beside its image.
    public init(folder: String, options: DatasetOptions) {
        self.folder = options.labelmeFolder
        self.options = options
    }

    private func jsonPath(_ image: DatasetImage.Name) -> String {
        let directory = folder ?? (image.path as NSString).deletingLastPathComponent
        return ((directory.isEmpty ? "." : directory) as NSString).appendingPathComponent(image.stem + ".json")
    }

    public func plannedPaths(for images: [DatasetImage.Name]) -> [String] { images.map(jsonPath) }

    public func add(_ image: DatasetImage, classes: inout ClassList) throws {
        var shapes: [[String: Any]] = []
        for (number, object) in image.objects.enumerated() where !object.mask.isEmpty {
            _ = try classes.index(of: object.className)
            let polygons = (object.polygons ?? MaskContours.centrePolygons(of: object.mask, tolerance: options.polygonTolerance).outer)
                .filter { $0.points.count >= 3 }
            for polygon in polygons {
                shapes.append([
                    "label": object.className,
                    "points": polygon.points.map { [$0.x, $0.y] },
                    "group_id": polygons.count > 1 ? number + 1 as Any : NSNull(),
                    "description": "",
                    "shape_type": "polygon",
                    "flags": [String: Any](),
                    "mask": NSNull(),
                ])
            }
        }
        let target = jsonPath(image.name)
        let document: [String: Any] = [
            "version": Self.formatVersion,
            "flags": [String: Any](),
            "shapes": shapes,
            "imagePath": Self.relativePath(from: (target as NSString).deletingLastPathComponent, to: image.path),
            "imageData": NSNull(),
            "imageHeight": image.height,
            "imageWidth": image.width,
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        if let folder { try AtomicFileWriter.createFolder(folder) }
        try AtomicFileWriter.write([UInt8](data) + [UInt8(ascii: "\n")], to: target)
    }

    public func finish(classes: ClassList) throws {}

    /// LabelMe files name classes, they keep no list of them.
    public var earlierClasses: ClassList? { nil }

    /// `target` as seen from `folder` ("../images/a.jpg"), both made absolute first.
    static func relativePath(from folder: String, to target: String) -> String {
        let from = SessionStore.absolutePath(folder.isEmpty ? "." : folder).split(separator: "/")
        let to = SessionStore.absolutePath(target).split(separator: "/")
        let common = zip(from, to).prefix { $0 == $1 }.count
        return (Array(repeating: "..", count: from.count - common) + to.dropFirst(common).map(String.init)).joined(separator: "/")
    }
}
