// Reads LabelMe files (one JSON per image: imagePath relative to the JSON, imageWidth,
// imageHeight, shapes). Polygons, rectangles and circles become masks; shapes sharing a
// group_id and a label form one object. Other shape types (lines, points, masks) are reported.

import Foundation

public enum LabelMeReader {
    /// `path`: a LabelMe JSON file or a folder of them (not searched below).
    public static func read(path: String) -> ImportedDataset {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            return ImportedDataset(problems: ["\(path): no such file or folder"])
        }
        guard isFolder.boolValue else { return readFile(path) }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.hasSuffix(SessionStore.fileSuffix) && !$0.hasPrefix(".") }.sorted()
        var result = ImportedDataset()
        if files.isEmpty { result.problems.append("\(path): no LabelMe files (*.json)") }
        for file in files {
            let one = readFile((path as NSString).appendingPathComponent(file))
            result.images += one.images
            result.problems += one.problems
        }
        return result
    }

    static func readFile(_ path: String) -> ImportedDataset {
        switch ImportJSON.read(path) {
        case .failure(let error): return ImportedDataset(problems: ["\(path): \(error)"])
        case .success(let json): return read(json: json, path: path)
        }
    }

    static func read(json: Any, path: String) -> ImportedDataset {
        var result = ImportedDataset()
        guard let top = json as? [String: Any], let imagePath = top["imagePath"] as? String, !imagePath.isEmpty else {
            result.problems.append("\(path): not a LabelMe file (needs an object with \"imagePath\")")
            return result
        }
        let width = ImportJSON.integer(top["imageWidth"]), height = ImportJSON.integer(top["imageHeight"])
        if let problem = ImportJSON.sizeProblem(width: width, height: height) {
            result.problems.append("\(path): imageWidth/imageHeight: \(problem); skipped")
            return result
        }
        let w = width!, h = height!
        let folder = (path as NSString).deletingLastPathComponent
        let file = imagePath.hasPrefix("/") ? imagePath : (folder as NSString).appendingPathComponent(imagePath)
        var image = ImportedImage(path: file, width: w, height: h)
        let name = (path as NSString).lastPathComponent

        // Objects in order of their first shape; a group_id joins shapes of the same label.
        struct Key: Hashable { let group: Int; let label: String }
        var grouped: [Key: Int] = [:]
        for (index, entry) in ((top["shapes"] as? [Any]) ?? []).enumerated() {
            let whereShape = "\(path): shapes[\(index)]"
            guard let shape = entry as? [String: Any], let label = shape["label"] as? String else {
                result.problems.append("\(whereShape): needs a \"label\"; skipped")
                continue
            }
            let type = (shape["shape_type"] as? String) ?? "polygon"
            guard let points = shape["points"] as? [Any],
                  let flat = Optional(points.compactMap { ImportJSON.flatNumbers($0) }), flat.count == points.count,
                  flat.allSatisfy({ $0.count == 2 }) else {
                result.problems.append("\(whereShape) (\(label)): \"points\" must be a list of [x, y] numbers; skipped")
                continue
            }
            let coordinates = flat.flatMap { $0 }
            guard ImportJSON.inside(coordinates, width: w, height: h) else {
                result.problems.append("\(whereShape) (\(label)): points outside the \(w)x\(h) image; skipped")
                continue
            }
            let mask: BinaryMask
            var polygon: [Double]?
            switch type {
            case "polygon":
                guard flat.count >= 3 else {
                    result.problems.append("\(whereShape) (\(label)): a polygon needs 3 points or more, has \(flat.count); skipped")
                    continue
                }
                polygon = coordinates
                mask = PolygonRaster.filledMask(polygons: [coordinates], width: w, height: h)
            case "rectangle":
                guard flat.count == 2 else {
                    result.problems.append("\(whereShape) (\(label)): a rectangle needs 2 points, has \(flat.count); skipped")
                    continue
                }
                let x0 = min(flat[0][0], flat[1][0]), x1 = max(flat[0][0], flat[1][0])
                let y0 = min(flat[0][1], flat[1][1]), y1 = max(flat[0][1], flat[1][1])
                polygon = [x0, y0, x1, y0, x1, y1, x0, y1]
                mask = PolygonRaster.filledMask(polygons: [polygon!], width: w, height: h)
            case "circle":
                guard flat.count == 2 else {
                    result.problems.append("\(whereShape) (\(label)): a circle needs 2 points (centre, edge), has \(flat.count); skipped")
                    continue
                }
                let radius = ((flat[1][0] - flat[0][0]) * (flat[1][0] - flat[0][0]) + (flat[1][1] - flat[0][1]) * (flat[1][1] - flat[0][1])).squareRoot()
                mask = PolygonRaster.circle(centerX: flat[0][0], centerY: flat[0][1], radius: radius, width: w, height: h)
            default:
                result.problems.append("\(whereShape) (\(label)): shape_type \"\(type.prefix(20))\" has no area to import; skipped")
                continue
            }
            if let group = ImportJSON.integer(shape["group_id"]), let slot = grouped[Key(group: group, label: label)] {
                var object = image.objects[slot]
                object.mask = union(object.mask, mask)
                // Polygons stay only while every shape of the object is one.
                object.polygons = polygon.flatMap { p in object.polygons.map { $0 + [p] } }
                image.objects[slot] = object
                continue
            }
            if let group = ImportJSON.integer(shape["group_id"]) { grouped[Key(group: group, label: label)] = image.objects.count }
            image.objects.append(ImportedObject(className: label, mask: mask, polygons: polygon.map { [$0] },
                                                source: "\(name), shapes[\(index)]"))
        }
        result.images.append(image)
        return result
    }

    private static func union(_ a: BinaryMask, _ b: BinaryMask) -> BinaryMask {
        BinaryMask(width: a.width, height: a.height, bytes: zip(a.bytes, b.bytes).map { $0 | $1 })
    }
}
