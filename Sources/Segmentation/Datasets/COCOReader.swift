// Reads a COCO annotations file (instances JSON) into per-image masks: compressed RLE (a counts
// string), uncompressed RLE (a counts list, pycocotools' column-major runs) or polygons
// (filled as pycocotools fills them: PolygonRaster.cocoMask). Annotations with only a bbox are reported,
// not imported: a box is not a mask.

import Foundation

public enum COCOReader {
    /// `imageRoot`: the folder `file_name` is relative to (default: the JSON's folder).
    public static func read(path: String, imageRoot: String? = nil) -> ImportedDataset {
        switch ImportJSON.read(path) {
        case .failure(let error): return ImportedDataset(problems: ["\(path): \(error)"])
        case .success(let json): return read(json: json, path: path, imageRoot: imageRoot)
        }
    }

    static func read(json: Any, path: String, imageRoot: String?) -> ImportedDataset {
        var result = ImportedDataset()
        let name = (path as NSString).lastPathComponent
        guard let top = json as? [String: Any] else {
            result.problems.append("\(path): not a COCO annotations file (the top level is not an object)")
            return result
        }
        let root = imageRoot ?? (path as NSString).deletingLastPathComponent

        // Categories sorted by id give the class list.
        var categories: [Int: String] = [:]
        for (index, entry) in ((top["categories"] as? [Any]) ?? []).enumerated() {
            guard let category = entry as? [String: Any], let id = ImportJSON.integer(category["id"]),
                  let label = category["name"] as? String else {
                result.problems.append("\(path): categories[\(index)] needs a whole-number id and a name; skipped")
                continue
            }
            categories[id] = label
        }
        result.classes = categories.keys.sorted().map { categories[$0]! }
        result.classIDs = categories.keys.sorted()

        guard let images = top["images"] as? [Any] else {
            result.problems.append("\(path): no \"images\" list")
            return result
        }
        var imageIndex: [Int: Int] = [:]
        for (index, entry) in images.enumerated() {
            guard let image = entry as? [String: Any], let id = ImportJSON.integer(image["id"]),
                  let fileName = image["file_name"] as? String, !fileName.isEmpty else {
                result.problems.append("\(path): images[\(index)] needs a whole-number id and a file_name; skipped")
                continue
            }
            let width = ImportJSON.integer(image["width"]), height = ImportJSON.integer(image["height"])
            if let problem = ImportJSON.sizeProblem(width: width, height: height) {
                result.problems.append("\(path): image \(id) (\(fileName)): \(problem); skipped")
                continue
            }
            guard imageIndex[id] == nil else {
                result.problems.append("\(path): image id \(id) appears twice; the second (\(fileName)) is skipped")
                continue
            }
            let file = fileName.hasPrefix("/") ? fileName : (root as NSString).appendingPathComponent(fileName)
            imageIndex[id] = result.images.count
            result.images.append(ImportedImage(path: file, width: width!, height: height!))
        }

        for (index, entry) in ((top["annotations"] as? [Any]) ?? []).enumerated() {
            guard let annotation = entry as? [String: Any] else {
                result.problems.append("\(path): annotations[\(index)] is not an object; skipped")
                continue
            }
            let label = ImportJSON.integer(annotation["id"]).map { "annotation \($0)" } ?? "annotations[\(index)]"
            guard let imageID = ImportJSON.integer(annotation["image_id"]), let slot = imageIndex[imageID] else {
                result.problems.append("\(path): \(label): unknown image_id \(describe(annotation["image_id"])); skipped")
                continue
            }
            guard let categoryID = ImportJSON.integer(annotation["category_id"]), let className = categories[categoryID] else {
                result.problems.append("\(path): \(label): unknown category_id \(describe(annotation["category_id"])); skipped")
                continue
            }
            let image = result.images[slot]
            switch mask(of: annotation["segmentation"], width: image.width, height: image.height) {
            case .failure(let error):
                let reason = error.description == noSegmentation
                    ? "has no segmentation: use `samterm segment --boxes` to make masks from boxes"
                    : error.description
                result.problems.append("\(path): \(label): \(reason); skipped")
            case .success(let (mask, polygons)):
                result.images[slot].objects.append(ImportedObject(
                    className: className, mask: mask, polygons: polygons, score: ImportJSON.number(annotation["score"]),
                    source: "\(name), \(label)"))
            }
        }
        return result
    }

    private static let noSegmentation = "no segmentation"

    private static func describe(_ value: Any?) -> String {
        guard let value else { return "(missing)" }
        let text = "\(value)"
        return text.count > 40 ? String(text.prefix(40)) + "..." : text
    }

    /// The annotation's mask, with its polygons when it has polygons.
    static func mask(of segmentation: Any?, width: Int, height: Int) -> Result<(BinaryMask, [[Double]]?), ImportReadError> {
        if let list = segmentation as? [Any] {
            guard !list.isEmpty else { return .failure(ImportReadError(noSegmentation)) }
            var polygons: [[Double]] = []
            for (index, item) in list.enumerated() {
                guard let flat = ImportJSON.flatNumbers(item) else {
                    return .failure(ImportReadError("segmentation[\(index)] is not a list of numbers"))
                }
                guard flat.count >= 6, flat.count % 2 == 0 else {
                    return .failure(ImportReadError("segmentation[\(index)] has \(flat.count) numbers (needs an even count, 3 points or more)"))
                }
                guard ImportJSON.inside(flat, width: width, height: height) else {
                    return .failure(ImportReadError("segmentation[\(index)] has points outside the \(width)x\(height) image"))
                }
                polygons.append(flat)
            }
            return .success((PolygonRaster.cocoMask(polygons: polygons, width: width, height: height), polygons))
        }
        guard let rle = segmentation as? [String: Any] else { return .failure(ImportReadError(noSegmentation)) }
        guard let size = rle["size"] as? [Any], size.count == 2,
              let rleHeight = ImportJSON.integer(size[0]), let rleWidth = ImportJSON.integer(size[1]) else {
            return .failure(ImportReadError("RLE segmentation needs \"size\": [height, width]"))
        }
        guard rleHeight == height, rleWidth == width else {
            return .failure(ImportReadError("RLE size \(rleWidth)x\(rleHeight) differs from the image's \(width)x\(height)"))
        }
        do {
            if let string = rle["counts"] as? String {
                return .success((try RLE(compressed: string, height: height, width: width).decode(), nil))
            }
            guard let list = rle["counts"] as? [Any] else {
                return .failure(ImportReadError("RLE segmentation needs \"counts\" (a string or a list of run lengths)"))
            }
            var runs: [UInt32] = []
            runs.reserveCapacity(list.count)
            for item in list {
                guard let run = ImportJSON.integer(item), run >= 0, run <= Int(UInt32.max) else {
                    return .failure(ImportReadError("RLE counts must be whole numbers 0 or more, got \(describe(item))"))
                }
                runs.append(UInt32(run))
            }
            return .success((try RLE(height: height, width: width, counts: runs).decode(), nil))
        } catch {
            return .failure(ImportReadError("\(error)"))
        }
    }
}
