// `coco-dataset`: one DIR/annotations.json for every image of an export, as COCO's own
// datasets are laid out: `images`, `annotations`, `categories`, read by pycocotools.COCO.
//
// Ids stay put from one export to the next: image ids by `file_name` and category ids by name
// are taken from the annotations.json already in DIR (DatasetExport seeds the class list from
// it); new images get ids after the largest. Annotation ids are 1...n in export order.
// Segmentations are compressed RLE (pycocotools-exact) or, with `polygons`, outer contours
// (an imported object's own polygons while its mask is unchanged; holes cannot be drawn with
// COCO polygons and are filled). `iscrowd` is 0; `score` is the detector's confidence or the
// model's predicted IoU, when known.

import Foundation

public final class COCODatasetWriter: DatasetWriter {
    public static let fileName = "annotations.json"

    public let folder: String
    public let options: DatasetOptions
    private var imageIDs: [String: Int]
    private var nextImageID: Int
    /// The categories of the annotations.json found in the folder, with their ids.
    public let earlierClasses: ClassList?
    private var images: [[String: Any]] = []
    private var annotations: [[String: Any]] = []

    public init(folder: String, options: DatasetOptions) {
        self.folder = folder
        self.options = options
        let earlier = Self.readEarlier(in: folder)
        earlierClasses = earlier?.classes
        imageIDs = earlier?.imageIDs ?? [:]
        nextImageID = (imageIDs.values.max() ?? 0) + 1
    }

    public var path: String { (folder as NSString).appendingPathComponent(Self.fileName) }

    public func plannedPaths(for images: [DatasetImage.Name]) -> [String] { [path] }

    public func add(_ image: DatasetImage, classes: inout ClassList) throws {
        let imageID: Int
        if let known = imageIDs[image.fileName] {
            imageID = known
        } else {
            imageID = nextImageID
            nextImageID += 1
            imageIDs[image.fileName] = imageID
        }
        images.append(["id": imageID, "file_name": image.fileName, "width": image.width, "height": image.height])
        for object in image.objects where !object.mask.isEmpty {
            let classIndex = try classes.index(of: object.className)
            let categoryID = classes.cocoID(at: classIndex)
            let segmentation: Any
            if options.polygons {
                let polygons = object.polygons
                    ?? MaskContours.outerPolygons(of: object.mask, tolerance: options.polygonTolerance)
                segmentation = polygons.filter { $0.points.count >= 3 }.map(\.flatCoordinates)
            } else {
                segmentation = ["size": [image.height, image.width], "counts": RLE(mask: object.mask).compressedString] as [String: Any]
            }
            var annotation: [String: Any] = [
                "id": annotations.count + 1,
                "image_id": imageID,
                "category_id": categoryID,
                "segmentation": segmentation,
                "area": object.mask.area,
                "bbox": object.mask.boundingBox!.cocoArray,
                "iscrowd": 0,
            ]
            if let score = object.score { annotation["score"] = score }
            annotations.append(annotation)
        }
    }

    public func finish(classes: ClassList) throws {
        var info: [String: Any] = ["description": "samterm dataset export"]
        if let model = options.model, !model.isEmpty { info["model"] = model }
        let categories = classes.names.enumerated().map { index, name -> [String: Any] in
            ["id": classes.cocoID(at: index), "name": name, "supercategory": ""]
        }
        let document: [String: Any] = [
            "info": info,
            "licenses": [Any](),
            "images": images.sorted { ($0["id"] as! Int) < ($1["id"] as! Int) },
            "annotations": annotations,
            "categories": categories,
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        try AtomicFileWriter.createFolder(folder)
        try AtomicFileWriter.write([UInt8](data) + [UInt8(ascii: "\n")], to: path)
    }

    /// The classes of an earlier annotations.json in `folder`, with its category ids; nil when
    /// there is none (or it cannot be read: the export then starts afresh and replaces it).
    public static func existingClasses(in folder: String) -> ClassList? {
        readEarlier(in: folder)?.classes
    }

    private static func readEarlier(in folder: String) -> (classes: ClassList, imageIDs: [String: Int])? {
        let path = (folder as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path),
              let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        let categories = (document["categories"] as? [[String: Any]] ?? [])
            .compactMap { entry -> (Int, String)? in
                guard let id = entry["id"] as? Int, let name = entry["name"] as? String else { return nil }
                return (id, name)
            }
            .sorted { $0.0 < $1.0 }
        var imageIDs: [String: Int] = [:]
        for entry in document["images"] as? [[String: Any]] ?? [] {
            if let id = entry["id"] as? Int, let name = entry["file_name"] as? String { imageIDs[name] = id }
        }
        return (ClassList(names: categories.map(\.1), cocoIDs: categories.map(\.0)), imageIDs)
    }
}
