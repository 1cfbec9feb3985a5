// Detector boxes to turn into masks (`samterm segment --boxes`): a COCO results list
// ([{image_id, category_id, bbox [x, y, w, h], score}], with a COCO file naming the images
// and categories), a COCO dataset whose annotations have boxes, or a folder of YOLO detection
// labels (`class cx cy w h [confidence]`, normalised; names from a data.yaml beside them).
//
// Reading never stops at a bad entry: each one becomes a problem line naming the file and
// the entry, and the rest is read. A file that cannot be read at all throws.

import Foundation

public struct Detection: Equatable, Sendable {
    public enum Geometry: Equatable, Sendable {
        /// COCO: left, top, width, height in pixels.
        case pixels(x: Double, y: Double, width: Double, height: Double)
        /// YOLO: centre and size as fractions of the image's.
        case normalised(centreX: Double, centreY: Double, width: Double, height: Double)
    }

    public var className: String
    public var geometry: Geometry
    public var score: Double?
    /// Where it was read, for messages: "dets.json, entry 12" or "labels/a.txt:3".
    public var source: String

    public init(className: String, geometry: Geometry, score: Double?, source: String) {
        self.className = className
        self.geometry = geometry
        self.score = score
        self.source = source
    }

    /// The box on an image of this size, or why it cannot be one (outside the image, empty).
    public func box(width: Int, height: Int) -> Result<Session.Box, DetectionProblem> {
        let x0, y0, x1, y1: Double
        switch geometry {
        case .pixels(let x, let y, let boxWidth, let boxHeight):
            (x0, y0, x1, y1) = (x, y, x + boxWidth, y + boxHeight)
        case .normalised(let centreX, let centreY, let boxWidth, let boxHeight):
            let w = Double(width), h = Double(height)
            (x0, y0, x1, y1) = ((centreX - boxWidth / 2) * w, (centreY - boxHeight / 2) * h,
                                (centreX + boxWidth / 2) * w, (centreY + boxHeight / 2) * h)
        }
        guard x1 > x0 && y1 > y0 else { return .failure(DetectionProblem("\(source): the box is empty")) }
        // Half a pixel of slack: detectors round their boxes.
        let slack = 0.5
        guard x0 >= -slack, y0 >= -slack, x1 <= Double(width) + slack, y1 <= Double(height) + slack else {
            let shown = [x0, y0, x1, y1].map { String(format: "%.1f", $0) }.joined(separator: ",")
            return .failure(DetectionProblem("\(source): the box \(shown) reaches outside the \(width)x\(height) image"))
        }
        return .success(Session.Box(x0: max(0, x0), y0: max(0, y0), x1: min(Double(width), x1), y1: min(Double(height), y1)))
    }
}

public struct DetectionProblem: Error, Equatable, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public struct DetectionSet: Sendable {
    /// Detections by image: COCO's `file_name`, or a YOLO label file's stem.
    public var byImage: [String: [Detection]] = [:]
    /// Whether the keys are YOLO stems (else COCO file names).
    public var keyedByStem = false
    /// The class list in id order, when the source has one (COCO categories, data.yaml names).
    public var classes: ClassList?
    /// Entries that were left out, one line each.
    public var problems: [String] = []

    /// The detections of an image, matched by its dataset file name (relative to the inputs'
    /// folder), else by its file name alone when that names one image only; nil when none match.
    public func detections(for image: DatasetImage.Name) -> [Detection]? {
        if keyedByStem { return byImage[image.stem] }
        if let found = byImage[image.fileName] { return found }
        let base = (image.fileName as NSString).lastPathComponent
        let matches = byImage.keys.filter { ($0 as NSString).lastPathComponent == base }
        return matches.count == 1 ? byImage[matches[0]] : nil
    }
}

public enum DetectionReader {
    /// Reads `path`: a YOLO labels folder, or a COCO JSON file (a results list needs `images`).
    public static func read(path: String, images: String?) throws -> DetectionSet {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw DetectionProblem("\(path): no such file or folder")
        }
        if isFolder.boolValue { return try readYOLO(folder: path) }
        let document = try json(at: path)
        if let results = document as? [Any] {
            guard let images else {
                throw DetectionProblem("\(path): a COCO results list names images by id: give --images COCO.json with its images and categories")
            }
            guard let table = try json(at: images) as? [String: Any] else {
                throw DetectionProblem("\(images): not a COCO file (expected an object with images and categories)")
            }
            return readCOCO(entries: results, path: path, table: table, tablePath: images)
        }
        guard let dataset = document as? [String: Any], let annotations = dataset["annotations"] as? [Any] else {
            throw DetectionProblem("\(path): neither a COCO results list nor a COCO dataset with annotations")
        }
        if images != nil {
            throw DetectionProblem("\(path) is a COCO dataset: it names its own images, --images is for a results list")
        }
        return readCOCO(entries: annotations, path: path, table: dataset, tablePath: path)
    }

    private static func json(at path: String) throws -> Any {
        guard let data = FileManager.default.contents(atPath: path) else { throw DetectionProblem("\(path): cannot read the file") }
        do {
            return try JSONSerialization.jsonObject(with: data)
        } catch {
            throw DetectionProblem("\(path): not valid JSON (\(describe(error)))")
        }
    }

    private static func describe(_ error: Error) -> String {
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
        return text ?? "\(error)"
    }

    private static func readCOCO(entries: [Any], path: String, table: [String: Any], tablePath: String) -> DetectionSet {
        var set = DetectionSet()
        var fileNames: [Int: String] = [:]
        for case let image as [String: Any] in table["images"] as? [Any] ?? [] {
            if let id = integer(image["id"]), let name = image["file_name"] as? String { fileNames[id] = name }
        }
        var categoryNames: [Int: String] = [:]
        for case let category as [String: Any] in table["categories"] as? [Any] ?? [] {
            if let id = integer(category["id"]), let name = category["name"] as? String { categoryNames[id] = name }
        }
        let ordered = categoryNames.sorted { $0.key < $1.key }
        if !ordered.isEmpty { set.classes = ClassList(names: ordered.map(\.value), cocoIDs: ordered.map(\.key)) }
        for (index, entry) in entries.enumerated() {
            let at = "\(path), entry \(index + 1)"
            guard let entry = entry as? [String: Any] else { set.problems.append("\(at): not an object"); continue }
            guard let imageID = integer(entry["image_id"]) else { set.problems.append("\(at): no image_id"); continue }
            guard let fileName = fileNames[imageID] else {
                set.problems.append("\(at): image_id \(imageID) is not among the images of \(tablePath)")
                continue
            }
            guard let categoryID = integer(entry["category_id"]) else { set.problems.append("\(at): no category_id"); continue }
            guard let className = categoryNames[categoryID] else {
                set.problems.append("\(at): category_id \(categoryID) is not among the categories of \(tablePath)")
                continue
            }
            guard let values = entry["bbox"] as? [Any], values.count == 4,
                  let numbers = Optional(values.compactMap(number)), numbers.count == 4 else {
                set.problems.append("\(at): bbox is not [x, y, width, height]")
                continue
            }
            guard numbers[2] >= 0 && numbers[3] >= 0 else {
                set.problems.append("\(at): bbox has a negative size (\(numbers[2]) x \(numbers[3]))")
                continue
            }
            var score: Double?
            if let value = entry["score"] {
                guard let parsed = number(value) else { set.problems.append("\(at): score is not a number"); continue }
                score = parsed
            }
            let detection = Detection(className: className,
                                      geometry: .pixels(x: numbers[0], y: numbers[1], width: numbers[2], height: numbers[3]),
                                      score: score, source: at)
            set.byImage[fileName, default: []].append(detection)
        }
        return set
    }

    private static func integer(_ value: Any?) -> Int? { ImportJSON.integer(value) }

    private static func number(_ value: Any?) -> Double? { ImportJSON.number(value) }

    // MARK: - YOLO

    /// FOLDER/**.txt or FOLDER/labels/**.txt (labels/train, labels/val...), matched to images by
    /// stem; class names from data.yaml in FOLDER or its parent.
    private static func readYOLO(folder: String) throws -> DetectionSet {
        var set = DetectionSet()
        set.keyedByStem = true
        var labels = folder
        let nested = (folder as NSString).appendingPathComponent("labels")
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: nested, isDirectory: &isFolder), isFolder.boolValue { labels = nested }
        guard let listing = FileManager.default.enumerator(atPath: labels) else {
            throw DetectionProblem("\(labels): cannot list the folder")
        }
        let names = (listing.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".txt") && !($0 as NSString).lastPathComponent.hasPrefix(".") }.sorted()
        if names.isEmpty { throw DetectionProblem("\(labels): no YOLO label files (.txt) in this folder") }
        let classNames = yamlNames(near: folder)
        if let classNames { set.classes = ClassList(names: classNames) }
        var readFrom: [String: String] = [:]
        for name in names {
            let path = (labels as NSString).appendingPathComponent(name)
            let stem = ((name as NSString).lastPathComponent as NSString).deletingPathExtension
            if let earlier = readFrom[stem] {
                set.problems.append("\(path): another label file for the images named \(stem) (\(earlier)); left out")
                continue
            }
            readFrom[stem] = path
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                set.problems.append("\(path): cannot read it as text")
                continue
            }
            var found: [Detection] = []
            for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if fields.isEmpty { continue }
                let at = "\(path):\(number + 1)"
                guard fields.count == 5 || fields.count == 6 else {
                    let what = fields.count > 6 && (fields.count - 1) % 2 == 0 ? " (a segmentation polygon? --boxes reads boxes)" : ""
                    set.problems.append("\(at): \(fields.count) values; a detection is class cx cy w h [confidence]\(what)")
                    continue
                }
                guard let classID = Int(fields[0]), classID >= 0 else {
                    set.problems.append("\(at): class \"\(fields[0])\" is not a class number")
                    continue
                }
                let values = fields.dropFirst().map { Double(String($0)) }
                guard values.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                    set.problems.append("\(at): not all values are numbers")
                    continue
                }
                let numbers = values.map { $0! }
                guard numbers[2] >= 0 && numbers[3] >= 0 else {
                    set.problems.append("\(at): negative box size")
                    continue
                }
                let className: String
                if let classNames {
                    guard classID < classNames.count else {
                        set.problems.append("\(at): class \(classID) is not among the \(classNames.count) names of data.yaml")
                        continue
                    }
                    className = classNames[classID]
                } else {
                    className = "class \(classID)"
                }
                found.append(Detection(className: className,
                                       geometry: .normalised(centreX: numbers[0], centreY: numbers[1], width: numbers[2], height: numbers[3]),
                                       score: numbers.count == 5 ? numbers[4] : nil, source: at))
            }
            set.byImage[stem] = found
        }
        return set
    }

    private static func yamlNames(near folder: String) -> [String]? {
        for candidate in [folder, (folder as NSString).deletingLastPathComponent] {
            if let names = YOLODataYAML.names(inFileAt: (candidate as NSString).appendingPathComponent("data.yaml")) {
                return names
            }
        }
        return nil
    }
}
