// COCO instance-segmentation JSON for one image: `images`, `annotations`, `categories`.
//
// Each annotation's `segmentation` is compressed RLE ({"size": [h, w], "counts": "..."}) exactly
// as pycocotools' mask.encode writes it, or, for the polygon variant, a list of outer contours
// [[x0, y0, x1, y1, ...], ...]. Categories are the objects' names (unnamed objects share
// "object"), numbered from 1 in order of first appearance. Besides the standard fields, each
// annotation carries the model's `score` and the `prompts` that produced the mask.

import Foundation

public enum COCOWriter {
    public enum Segmentation: Sendable {
        case rle
        /// Outer contours simplified so no dropped point is farther than `tolerance` pixels.
        case polygons(tolerance: Double)
    }

    /// The category name of an object: its name, or "object" for unnamed ones.
    public static func categoryName(of object: ExportObject) -> String {
        guard let name = object.name?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty else { return "object" }
        return name
    }

    public static func document(imageFileName: String, width: Int, height: Int, objects: [ExportObject],
                                segmentation: Segmentation, model: String?) -> [String: Any] {
        var categoryIDs: [String: Int] = [:]
        var categories: [[String: Any]] = []
        var annotations: [[String: Any]] = []
        for (index, object) in objects.enumerated() {
            precondition(object.mask.width == width && object.mask.height == height,
                         "object \(index + 1)'s mask is not \(width)x\(height)")
            let category = categoryName(of: object)
            if categoryIDs[category] == nil {
                categoryIDs[category] = categories.count + 1
                categories.append(["id": categories.count + 1, "name": category, "supercategory": "object"])
            }
            let segmentationValue: Any
            switch segmentation {
            case .rle:
                segmentationValue = ["size": [height, width], "counts": RLE(mask: object.mask).compressedString] as [String: Any]
            case .polygons(let tolerance):
                let polygons = MaskContours.outerPolygons(of: object.mask, tolerance: tolerance)
                // A polygon needs three points; an empty mask has none and is left out of this variant.
                guard !polygons.isEmpty else { continue }
                segmentationValue = polygons.map(\.flatCoordinates)
            }
            let box = object.mask.boundingBox ?? PixelBox(x: 0, y: 0, width: 0, height: 0)
            var annotation: [String: Any] = [
                "id": index + 1,
                "image_id": 1,
                "category_id": categoryIDs[category]!,
                "segmentation": segmentationValue,
                "area": object.mask.area,
                "bbox": box.cocoArray,
                "iscrowd": 0,
                "prompts": prompts(of: object),
            ]
            if let score = object.score { annotation["score"] = score }
            annotations.append(annotation)
        }
        var info: [String: Any] = ["description": "samterm export"]
        if let model { info["model"] = model }
        return [
            "info": info,
            "images": [["id": 1, "file_name": imageFileName, "width": width, "height": height]],
            "annotations": annotations,
            "categories": categories,
        ]
    }

    public static func encode(imageFileName: String, width: Int, height: Int, objects: [ExportObject],
                              segmentation: Segmentation = .rle, model: String? = nil) throws -> [UInt8] {
        let document = document(imageFileName: imageFileName, width: width, height: height, objects: objects,
                                segmentation: segmentation, model: model)
        let data = try JSONSerialization.data(withJSONObject: document,
                                              options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return [UInt8](data) + [UInt8(ascii: "\n")]
    }

    /// The prompt that produced the mask (the last step's), plus how it was asked.
    private static func prompts(of object: ExportObject) -> [String: Any] {
        guard let step = object.steps.last else { return ["points": [Any]()] }
        var prompts: [String: Any] = [
            "points": step.points.map { [$0.x, $0.y, $0.label] as [Any] },
            "multimask": step.multimask,
            "candidate": step.candidate,
            "steps": object.steps.count,
        ]
        if let box = step.box { prompts["box"] = [box.x0, box.y0, box.x1, box.y1] }
        return prompts
    }
}
