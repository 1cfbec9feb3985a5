// `voc`: Pascal VOC's segmentation layout.
//   DIR/SegmentationClass/NAME.png    palette PNG, each pixel its object's class id (0 background)
//   DIR/SegmentationObject/NAME.png   palette PNG, each pixel its object's number in the image
//   DIR/ImageSets/Segmentation/default.txt   the images' names, one per line
//   DIR/labelmap.txt                  the classes in id order (CVAT's VOC layout), which the
//                                     next export reads back so ids stay put
// Both PNGs use VOC's own colour map. Where objects overlap the first one wins, as in the label
// map. 255 ("void", which VOC draws along object boundaries) appears only when asked for: a
// band `vocVoidBorder` pixels wide centred on every object's boundary.

import Foundation

public final class VOCWriter: DatasetWriter {
    public let folder: String
    public let options: DatasetOptions
    private var stems: [String] = []

    public init(folder: String, options: DatasetOptions) {
        self.folder = folder
        self.options = options
    }

    private func path(_ parts: String...) -> String {
        parts.reduce(folder) { ($0 as NSString).appendingPathComponent($1) }
    }

    private var listPath: String { path("ImageSets", "Segmentation", "default.txt") }
    private var labelmapPath: String { path("labelmap.txt") }

    public func plannedPaths(for images: [DatasetImage.Name]) -> [String] {
        images.flatMap { [path("SegmentationClass", $0.stem + ".png"), path("SegmentationObject", $0.stem + ".png")] }
            + [listPath, labelmapPath]
    }

    /// VOC's colour map: entry i spreads the bits of i over the top bits of red, green and blue.
    public static let palette: [(UInt8, UInt8, UInt8, UInt8)] = (0..<256).map { index in
        var red = 0, green = 0, blue = 0, value = index
        for bit in 0..<8 {
            red |= (value & 1) << (7 - bit)
            green |= ((value >> 1) & 1) << (7 - bit)
            blue |= ((value >> 2) & 1) << (7 - bit)
            value >>= 3
        }
        return (UInt8(red), UInt8(green), UInt8(blue), 255)
    }

    public func add(_ image: DatasetImage, classes: inout ClassList) throws {
        let objects = image.objects.filter { !$0.mask.isEmpty }
        guard objects.count <= 254 else {
            throw DatasetWriteError("\(image.path): \(objects.count) objects; a VOC object PNG numbers at most 254 (255 is void)")
        }
        let count = image.width * image.height
        var classPixels = [UInt8](repeating: 0, count: count)
        var objectPixels = [UInt8](repeating: 0, count: count)
        for (number, object) in objects.enumerated() {
            let classID = try classes.index(of: object.className) + DatasetFormat.voc.firstClassID
            guard classID <= 254 else {
                throw DatasetWriteError("class \"\(object.className)\" would be VOC class \(classID); a VOC class PNG holds at most 254")
            }
            for pixel in 0..<count where object.mask.bytes[pixel] != 0 && objectPixels[pixel] == 0 {
                objectPixels[pixel] = UInt8(number + 1)
                classPixels[pixel] = UInt8(classID)
            }
        }
        if options.vocVoidBorder > 0 {
            for object in objects {
                let band = Self.boundaryBand(object.mask, width: options.vocVoidBorder)
                for pixel in 0..<count where band[pixel] {
                    objectPixels[pixel] = 255
                    classPixels[pixel] = 255
                }
            }
        }
        let classPNG = try PNGWriter(indices: classPixels, palette: Self.palette, width: image.width, height: image.height).encodePNG()
        let objectPNG = try PNGWriter(indices: objectPixels, palette: Self.palette, width: image.width, height: image.height).encodePNG()
        try AtomicFileWriter.createFolder(path("SegmentationClass"))
        try AtomicFileWriter.createFolder(path("SegmentationObject"))
        try AtomicFileWriter.write(classPNG, to: path("SegmentationClass", image.stem + ".png"))
        try AtomicFileWriter.write(objectPNG, to: path("SegmentationObject", image.stem + ".png"))
        stems.append(image.stem)
    }

    public func finish(classes: ClassList) throws {
        try AtomicFileWriter.createFolder(path("ImageSets", "Segmentation"))
        try AtomicFileWriter.write(Array(stems.map { $0 + "\n" }.joined().utf8), to: listPath)
        var labelmap = "# label:color_rgb:parts:actions\nbackground:0,0,0::\n"
        for (index, name) in classes.names.enumerated() {
            let color = Self.palette[min(index + 1, 255)]
            labelmap += "\(Self.labelmapName(name)):\(color.0),\(color.1),\(color.2)::\n"
        }
        try AtomicFileWriter.write(Array(labelmap.utf8), to: labelmapPath)
    }

    /// labelmap.txt separates fields with colons: a colon in a name would split it.
    static func labelmapName(_ name: String) -> String { name.replacingOccurrences(of: ":", with: "_") }

    public var earlierClasses: ClassList? { Self.existingClasses(in: folder).map { ClassList(names: $0) } }

    /// The classes of the labelmap.txt an earlier export left in `folder` (background left out).
    public static func existingClasses(in folder: String) -> [String]? {
        let path = (folder as NSString).appendingPathComponent("labelmap.txt")
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else { return nil }
        let names = text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("#") }
            .compactMap { $0.split(separator: ":", omittingEmptySubsequences: false).first.map(String.init) }
            .filter { !$0.isEmpty && $0 != "background" }
        return names.isEmpty ? nil : names
    }

    /// Pixels within a band `width` pixels wide centred on the mask's boundary: grown by half
    /// the width (rounded up) outside, shrunk by the rest inside.
    static func boundaryBand(_ mask: BinaryMask, width: Int) -> [Bool] {
        let outside = (width + 1) / 2, inside = width / 2
        let grown = dilate(mask.bytes.map { $0 != 0 }, mask.width, mask.height, radius: outside)
        let shrunk = inside == 0 ? mask.bytes.map { $0 != 0 }
            : dilate(mask.bytes.map { $0 == 0 }, mask.width, mask.height, radius: inside).map { !$0 }
        return zip(grown, shrunk).map { $0 && !$1 }
    }

    /// Square dilation (Chebyshev radius), rows then columns, each a running count over the window.
    static func dilate(_ pixels: [Bool], _ width: Int, _ height: Int, radius: Int) -> [Bool] {
        guard radius > 0 else { return pixels }
        func pass(_ source: [Bool], lines: Int, length: Int, index: (Int, Int) -> Int) -> [Bool] {
            var result = source
            for line in 0..<lines {
                var count = 0
                for position in 0..<min(radius, length) where source[index(line, position)] { count += 1 }
                for position in 0..<length {
                    let entering = position + radius, leaving = position - radius - 1
                    if entering < length && source[index(line, entering)] { count += 1 }
                    if leaving >= 0 && source[index(line, leaving)] { count -= 1 }
                    result[index(line, position)] = count > 0
                }
            }
            return result
        }
        let rows = pass(pixels, lines: height, length: width) { $0 * width + $1 }
        return pass(rows, lines: width, length: height) { $1 * width + $0 }
    }
}

public struct DatasetWriteError: Error, Equatable, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
