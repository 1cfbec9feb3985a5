// Reads a YOLO segmentation dataset: labels/**.txt, one object a line, `class x1 y1 x2 y2 ...`
// normalised to the image's size; images/** with the same relative path and stem; class names
// from data.yaml `names` (YOLODataYAML), else "class N". Detection lines (`class cx cy w h`) are
// boxes, not masks: reported and skipped.

import Foundation

public enum YOLOReader {
    public static let imageExtensions = ["jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff", "JPG", "JPEG", "PNG"]

    /// `folder`: a dataset folder (data.yaml, labels/, images/) or a labels folder (then images
    /// come from `imageRoot`). `imageSize` gives an image file's width and height (it decodes the
    /// image; YOLO files carry no size).
    public static func read(folder: String, imageRoot: String? = nil,
                            imageSize: (String) throws -> (width: Int, height: Int)) -> ImportedDataset {
        var result = ImportedDataset()
        let fm = FileManager.default
        let labels = (folder as NSString).appendingPathComponent("labels")
        var isFolder: ObjCBool = false
        let isDataset = fm.fileExists(atPath: labels, isDirectory: &isFolder) && isFolder.boolValue
        let labelRoot = isDataset ? labels : folder
        let images = imageRoot ?? (isDataset ? (folder as NSString).appendingPathComponent("images")
                                             : ((folder as NSString).deletingLastPathComponent as NSString).appendingPathComponent("images"))
        let yamlCandidates = [folder, (folder as NSString).deletingLastPathComponent].map { ($0 as NSString).appendingPathComponent("data.yaml") }
        var names: [String] = []
        if let yaml = yamlCandidates.first(where: { fm.fileExists(atPath: $0) }) {
            if let text = fm.contents(atPath: yaml).flatMap({ String(data: $0, encoding: .utf8) }) {
                result.classes = YOLODataYAML.names(in: text)
                names = result.classes ?? []
            } else {
                result.problems.append("\(yaml): cannot read it as UTF-8 text; classes are named \"class N\"")
            }
        }

        let files = ((fm.enumerator(atPath: labelRoot)?.allObjects as? [String]) ?? [])
            .filter { $0.hasSuffix(".txt") && !$0.hasPrefix(".") }.sorted()
        if files.isEmpty { result.problems.append("\(labelRoot): no label files (*.txt)") }
        for relative in files {
            let labelPath = (labelRoot as NSString).appendingPathComponent(relative)
            let stem = (relative as NSString).deletingPathExtension
            let base = (images as NSString).appendingPathComponent(stem)
            guard let imagePath = imageExtensions.map({ base + "." + $0 }).first(where: { fm.fileExists(atPath: $0) }) else {
                result.problems.append("\(labelPath): no image \(base).{jpg,png,...}; skipped")
                continue
            }
            let size: (width: Int, height: Int)
            do {
                size = try imageSize(imagePath)
            } catch {
                result.problems.append("\(imagePath): \(error); skipped")
                continue
            }
            guard let data = fm.contents(atPath: labelPath), let text = String(data: data, encoding: .utf8) else {
                result.problems.append("\(labelPath): cannot read it as UTF-8 text; skipped")
                continue
            }
            var image = ImportedImage(path: imagePath, width: size.width, height: size.height)
            let name = (labelPath as NSString).lastPathComponent
            for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
                guard !fields.isEmpty else { continue }
                let whereLine = "\(labelPath):\(index + 1)"
                guard let classID = Int(fields[0]), classID >= 0 else {
                    result.problems.append("\(whereLine): class \"\(fields[0].prefix(20))\" is not a whole number 0 or more; skipped")
                    continue
                }
                var values: [Double] = []
                var bad: Substring?
                for field in fields.dropFirst() {
                    guard let value = Double(field), value.isFinite else { bad = field; break }
                    values.append(value)
                }
                if let bad {
                    result.problems.append("\(whereLine): \"\(bad.prefix(20))\" is not a number; skipped")
                    continue
                }
                if values.count == 4 {
                    result.problems.append("\(whereLine): a detection box (class cx cy w h), not a polygon: use `samterm segment --boxes` to make masks from boxes; skipped")
                    continue
                }
                guard values.count % 2 == 0, values.count >= 6 else {
                    result.problems.append("\(whereLine): \(values.count) coordinates (needs an even count, 3 points or more); skipped")
                    continue
                }
                guard values.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
                    result.problems.append("\(whereLine): coordinates outside 0...1 (outside the image); skipped")
                    continue
                }
                let polygon = values.enumerated().map { $0.offset % 2 == 0 ? $0.element * Double(size.width) : $0.element * Double(size.height) }
                image.objects.append(ImportedObject(
                    className: classID < names.count ? names[classID] : "class \(classID)",
                    mask: PolygonRaster.filledMask(polygons: [polygon], width: size.width, height: size.height),
                    polygons: [polygon], source: "\(name):\(index + 1)"))
            }
            result.images.append(image)
        }
        return result
    }
}
