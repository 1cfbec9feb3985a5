// COCO JSON of the automatic mask generator's output for one image: `images`, `annotations`
// (one category, "object") and `categories`. Each annotation has the official generator's
// record fields besides COCO's: segmentation as compressed RLE (pycocotools' string, as the
// other exports write it), area, bbox (x, y, w, h as the generator computes it), predicted_iou,
// stability_score, point_coords ([[x, y]]) and crop_box (x, y, w, h).

import Foundation

public enum AutomaticMaskCOCO {
    public static func document(imageFileName: String, width: Int, height: Int, masks: [AutomaticMask],
                                model: String?) -> [String: Any] {
        var annotations: [[String: Any]] = []
        for (index, mask) in masks.enumerated() {
            precondition(mask.segmentation.width == width && mask.segmentation.height == height,
                         "mask \(index + 1) is not \(width)x\(height)")
            annotations.append([
                "id": index + 1,
                "image_id": 1,
                "category_id": 1,
                "segmentation": ["size": [height, width], "counts": mask.segmentation.compressedString] as [String: Any],
                "area": mask.area,
                "bbox": mask.bbox,
                "iscrowd": 0,
                "predicted_iou": Double(mask.predictedIoU),
                "stability_score": Double(mask.stabilityScore),
                "point_coords": [mask.pointCoords],
                "crop_box": mask.cropBox.cocoArray,
            ])
        }
        var info: [String: Any] = ["description": "samterm automatic masks"]
        if let model { info["model"] = model }
        return [
            "info": info,
            "images": [["id": 1, "file_name": imageFileName, "width": width, "height": height]],
            "annotations": annotations,
            "categories": [["id": 1, "name": "object", "supercategory": "object"]],
        ]
    }

    public static func encode(imageFileName: String, width: Int, height: Int, masks: [AutomaticMask],
                              model: String? = nil) throws -> [UInt8] {
        let document = document(imageFileName: imageFileName, width: width, height: height, masks: masks, model: model)
        let data = try JSONSerialization.data(withJSONObject: document,
                                              options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return [UInt8](data) + [UInt8(ascii: "\n")]
    }
}
