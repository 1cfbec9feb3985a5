// What the dataset readers (COCOReader, YOLOReader, LabelMeReader) give back: per image, its
// objects as masks (with the source's polygons when it had them), and the problems met, one
// line each, naming the file and the reason. Readers never throw on bad content: they report
// it and go on with the rest.

import Foundation

public struct ImportedObject: Sendable {
    public var className: String
    /// The mask as COCO compressed RLE: a dataset's objects stay small in memory (COCO val2017
    /// holds 36,000 of them) and the session stores this string as it is.
    public var counts: String
    public let width: Int
    public let height: Int
    /// At the image's size.
    public var mask: BinaryMask {
        // The string was encoded from a mask of this size: it decodes.
        get { (try? RLE(compressed: counts, height: height, width: width).decode()) ?? BinaryMask(width: width, height: height) }
        set { counts = RLE(mask: newValue).compressedString }
    }
    /// The source's polygons in pixel coordinates ([x0, y0, x1, y1, ...] each), when it had polygons.
    public var polygons: [[Double]]?
    public var score: Double?
    /// Where it came from, for people: "annotations.json, annotation 17".
    public var source: String

    public init(className: String, mask: BinaryMask, polygons: [[Double]]? = nil, score: Double? = nil, source: String) {
        self.className = className
        counts = RLE(mask: mask).compressedString
        width = mask.width
        height = mask.height
        self.polygons = polygons
        self.score = score
        self.source = source
    }
}

public struct ImportedImage: Sendable {
    /// The image file, as the source names it resolved against its folder (it may not exist).
    public var path: String
    /// The size the source declares (or, for YOLO, the image's own).
    public var width: Int
    public var height: Int
    public var objects: [ImportedObject]

    public init(path: String, width: Int, height: Int, objects: [ImportedObject] = []) {
        self.path = path
        self.width = width
        self.height = height
        self.objects = objects
    }
}

public struct ImportedDataset: Sendable {
    public var images: [ImportedImage] = []
    /// The source's class list in id order; nil when it has none (LabelMe).
    public var classes: [String]?
    /// COCO's category ids of `classes` (COCO itself skips some), kept so exports number them alike.
    public var classIDs: [Int]?
    /// One line per bad thing, naming the file (and where) and the reason.
    public var problems: [String] = []

    public init(images: [ImportedImage] = [], classes: [String]? = nil, problems: [String] = []) {
        self.images = images
        self.classes = classes
        self.problems = problems
    }
}

/// Helpers the readers share for untrusted JSON and sizes.
enum ImportJSON {
    /// Masks larger than this are refused before allocating (hostile sizes); RGBImage's limit.
    static let maxPixels = 100_000_000

    /// The parsed JSON, or a one-line reason naming where it broke.
    static func parse(_ data: Data) -> Result<Any, ImportReadError> {
        do {
            return .success(try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            return .failure(ImportReadError("malformed JSON: \(detail)"))
        }
    }

    static func read(_ path: String) -> Result<Any, ImportReadError> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(ImportReadError("cannot read the file"))
        }
        return parse(data)
    }

    static func number(_ value: Any?) -> Double? {
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        return double.isFinite ? double : nil
    }

    /// A whole number that fits an Int.
    static func integer(_ value: Any?) -> Int? {
        guard let double = number(value), double == double.rounded(), abs(double) < 9e15 else { return nil }
        return Int(double)
    }

    /// Why a declared image size is unusable, or nil when it is fine.
    static func sizeProblem(width: Int?, height: Int?) -> String? {
        guard let width, let height else { return "no whole-number width and height" }
        guard width > 0, height > 0 else { return "invalid size \(width)x\(height) (must be positive)" }
        guard width <= maxPixels / height else { return "size \(width)x\(height) is too large (over \(maxPixels) pixels)" }
        return nil
    }

    /// Flat [x0, y0, ...] of finite numbers, or nil.
    static func flatNumbers(_ value: Any?) -> [Double]? {
        guard let array = value as? [Any] else { return nil }
        var out: [Double] = []
        out.reserveCapacity(array.count)
        for item in array {
            guard let number = number(item) else { return nil }
            out.append(number)
        }
        return out
    }

    /// Whether every point of a flat polygon lies within the image (edges included).
    static func inside(_ flat: [Double], width: Int, height: Int) -> Bool {
        for i in stride(from: 0, to: flat.count - 1, by: 2) {
            guard flat[i] >= 0, flat[i] <= Double(width), flat[i + 1] >= 0, flat[i + 1] <= Double(height) else { return false }
        }
        return true
    }
}

public struct ImportReadError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
