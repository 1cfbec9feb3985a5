// The library the index tests run on: small PNGs with sessions as `samterm import` writes them
// (rectangles as base masks, with classes, no model), in a temporary folder, and samterm run on
// them with the tiny fixture model and an embedding cache of the library's own (XDG_CACHE_HOME),
// never the user's.

import Foundation
import Segmentation
import XCTest

struct IndexLibrary {
    static let checkpoint = EditorEndToEndTests.fixtures.appendingPathComponent("tiny_sam2.1.pt").path
    static let width = 48, height = 32

    /// Everything the test writes: the library, the cache, other files.
    let root: String
    /// The images and their sessions.
    var folder: String { root + "/library" }
    /// The index `samterm index FOLDER` makes.
    var database: String { folder + "/" + ObjectIndex.fileName }
    var environment: [String: String] { ["XDG_CACHE_HOME": root + "/cache"] }

    init() throws {
        root = NSTemporaryDirectory() + "samterm-index-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/library", withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// samterm with the tiny model on the CPU and the library's cache.
    func samterm(_ arguments: [String]) throws -> SamtermRun {
        try SamtermRun.run(arguments + ["--checkpoint", Self.checkpoint, "--device", "cpu"], environment: environment)
    }

    /// A 48x32 PNG: gradients that depend on `seed`, so images differ by content.
    func writeImage(_ path: String, seed: Int) throws {
        var pixels = [UInt8](repeating: 0, count: Self.width * Self.height * 3)
        for y in 0..<Self.height {
            for x in 0..<Self.width {
                for channel in 0..<3 {
                    pixels[(y * Self.width + x) * 3 + channel] =
                        UInt8(truncatingIfNeeded: x * (3 + seed % 7) + y * (5 + 2 * channel) + seed * 41 + channel * 70)
                }
            }
        }
        try Data(PNGWriter(rgb: pixels, width: Self.width, height: Self.height).encodePNG()).write(to: URL(fileURLWithPath: path))
    }

    /// The image's session with one object per box, numbered from 1.
    func writeSession(_ imagePath: String, _ objects: [(className: String, box: PixelBox)]) throws {
        let store = SessionStore(imagePath: imagePath)
        let stored = objects.enumerated().map { index, object in
            var mask = BinaryMask(width: Self.width, height: Self.height)
            for y in object.box.y..<object.box.y + object.box.height {
                for x in object.box.x..<object.box.x + object.box.width { mask[x, y] = true }
            }
            return Session.Object(id: index + 1, category: object.className, color: ObjectPalette.color(at: index),
                                  base: Session.BaseMask(mask: mask), mask: Session.StoredMask(mask: mask, score: 1))
        }
        let image = Session.ImageReference(path: store.imageReferencePath(for: imagePath), sha256: try SHA256.hexDigest(ofFileAt: imagePath),
                                           width: Self.width, height: Self.height)
        try store.save(Session(image: image, model: Session.noModel, objects: stored))
    }

    /// Three images, five objects: a.png apple and pear, b.png apple and plum, c.png pear.
    func writeThreeImages() throws {
        let images: [(String, [(className: String, box: PixelBox)])] = [
            ("a", [("apple", PixelBox(x: 2, y: 2, width: 10, height: 8)), ("pear", PixelBox(x: 20, y: 10, width: 16, height: 14))]),
            ("b", [("apple", PixelBox(x: 4, y: 4, width: 12, height: 10)), ("plum", PixelBox(x: 30, y: 2, width: 14, height: 20))]),
            ("c", [("pear", PixelBox(x: 10, y: 12, width: 20, height: 16))]),
        ]
        for (seed, (name, boxes)) in images.enumerated() {
            try writeImage("\(folder)/\(name).png", seed: seed)
            try writeSession("\(folder)/\(name).png", boxes)
        }
    }

    /// "IMAGE#N" of each row of `similar`'s table, with the image's file name only.
    static func references(_ table: String) -> [String] {
        table.split(separator: "\n").map { row in
            let columns = row.split(separator: " ")
            return columns.count > 2 ? (String(columns[2]) as NSString).lastPathComponent : String(row)
        }
    }

    /// The similarity of each row of `similar`'s table.
    static func similarities(_ table: String) -> [Double] {
        table.split(separator: "\n").compactMap { row in
            let columns = row.split(separator: " ")
            return columns.count > 1 ? Double(columns[1]) : nil
        }
    }
}
