// `yolo`: Ultralytics' segmentation layout.
//   DIR/labels/NAME.txt   one line per object: `class x1 y1 x2 y2 ...`, coordinates divided by
//                         the image's width and height (6 decimals), class ids from 0
//   DIR/images/NAME.ext   a link to the image (a copy with `copyImages`)
//   DIR/data.yaml         `path`, `train`, `val` and `names`
// The format holds one polygon per line: an object with several parts or holes is one polygon
// bridging them (PolygonBridging), traced through the boundary pixels' centres so that
// Ultralytics' fillPoly gives the mask back. An image without objects gets an empty label file
// (a background image, to Ultralytics).

import Foundation

public final class YOLOWriter: DatasetWriter {
    public let folder: String
    public let options: DatasetOptions

    public init(folder: String, options: DatasetOptions) {
        self.folder = folder
        self.options = options
    }

    private var labels: String { (folder as NSString).appendingPathComponent("labels") }
    private var images: String { (folder as NSString).appendingPathComponent("images") }
    public var dataYAML: String { (folder as NSString).appendingPathComponent("data.yaml") }

    private func labelPath(_ stem: String) -> String { (labels as NSString).appendingPathComponent(stem + ".txt") }

    private func imagePath(_ name: DatasetImage.Name) -> String {
        let ext = (name.path as NSString).pathExtension
        return (images as NSString).appendingPathComponent(ext.isEmpty ? name.stem : name.stem + "." + ext)
    }

    public func plannedPaths(for images: [DatasetImage.Name]) -> [String] {
        images.flatMap { [labelPath($0.stem), imagePath($0)] } + [dataYAML]
    }

    public func add(_ image: DatasetImage, classes: inout ClassList) throws {
        var lines = ""
        for object in image.objects where !object.mask.isEmpty {
            let classID = try classes.index(of: object.className)
            let polygon = Self.polygon(of: object, tolerance: options.polygonTolerance)
            guard polygon.points.count >= 3 else { continue }
            lines += String(classID)
            for point in polygon.points {
                lines += " " + Self.coordinate(point.x / Double(image.width)) + " " + Self.coordinate(point.y / Double(image.height))
            }
            lines += "\n"
        }
        try AtomicFileWriter.createFolder(labels)
        try AtomicFileWriter.write(Array(lines.utf8), to: labelPath(image.stem))
        try placeImage(image)
    }

    /// The object's one polygon in pixels: its own polygons when it has them
    /// (bridged if several), else traced from its mask with its holes.
    static func polygon(of object: DatasetObject, tolerance: Double) -> Polygon {
        if let given = object.polygons, !given.isEmpty { return PolygonBridging.single(given) }
        let traced = MaskContours.centrePolygons(of: object.mask, tolerance: tolerance)
        return PolygonBridging.single(traced.outer + traced.holes)
    }

    /// A coordinate in [0, 1] with at most 6 decimals, trailing zeros dropped ("0.5", "0.123456").
    static func coordinate(_ value: Double) -> String {
        var text = String(format: "%.6f", min(1, max(0, value)))
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    private func placeImage(_ image: DatasetImage) throws {
        try AtomicFileWriter.createFolder(images)
        let target = imagePath(image.name)
        if options.copyImages {
            guard let data = FileManager.default.contents(atPath: image.path) else {
                throw FileWriteError(path: image.path, errno: errno == 0 ? ENOENT : errno)
            }
            try AtomicFileWriter.write(data, to: target)
            return
        }
        // A link named aside, then renamed over the target: never a moment without one.
        let temporary = target + ".link-\(getpid())"
        try? FileManager.default.removeItem(atPath: temporary)
        guard symlink(SessionStore.absolutePath(image.path), temporary) == 0 else {
            throw FileWriteError(path: target, errno: errno)
        }
        guard rename(temporary, target) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileWriteError(path: target, errno: code)
        }
    }

    public func finish(classes: ClassList) throws {
        let text = "path: \(YOLODataYAML.quoted(SessionStore.absolutePath(folder)))\ntrain: images\nval: images\n"
            + YOLODataYAML.namesBlock(classes.names)
        try AtomicFileWriter.createFolder(folder)
        try AtomicFileWriter.write(Array(text.utf8), to: dataYAML)
    }

    public var earlierClasses: ClassList? { Self.existingClasses(in: folder).map { ClassList(names: $0) } }

    /// The names of the data.yaml an earlier export left in `folder`.
    public static func existingClasses(in folder: String) -> [String]? {
        YOLODataYAML.names(inFileAt: (folder as NSString).appendingPathComponent("data.yaml"))
    }
}
