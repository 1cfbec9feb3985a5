import Foundation
import Segmentation

/// `samterm bench --index N`: the object index at N objects, made up (ten an image, 256 random
/// unit floats each, twenty classes, a small mask), queried as `samterm similar` queries it: the
/// file opened, every object compared, the best ten listed.
struct IndexBench {
    let objects: Int
    let path: String
    let queries: Int

    static let model = "bench-model"
    static let dimensions = 256
    static let perImage = 10

    struct Report {
        let objects: Int
        let buildSeconds: Double?
        let bytesPerObject: Double
        let maskBytesPerObject: Double
        let query: Summary
        let classQuery: Summary

        var text: String {
            """
            index             \(objects) objects in \(buildSeconds.map { String(format: "%.1f s (made now)", $0) } ?? "an existing file")
            size              \(String(format: "%.0f", bytesPerObject)) bytes an object, and \(String(format: "%.0f", maskBytesPerObject)) of mask RLE
            query (top 10)    \(query.text)
            query, one class  \(classQuery.text)
            """
        }

        var json: [String: Any] {
            ["index_objects": objects, "index_build_s": buildSeconds.map { ($0 * 10).rounded() / 10 } as Any,
             "index_bytes_per_object": bytesPerObject.rounded(), "index_mask_bytes_per_object": maskBytesPerObject.rounded(),
             "index_query_ms": query.json, "index_class_query_ms": classQuery.json]
        }
    }

    func run() throws -> Report {
        var buildSeconds: Double?
        let existing = FileManager.default.fileExists(atPath: path) ? try ObjectIndex(path: path, create: false) : nil
        if try existing?.objectCount != objects {
            if existing != nil {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
            let started = Date()
            try build()
            buildSeconds = Date().timeIntervalSince(started)
        }
        var generator = SplitMix64(seed: 7)
        var times: [Double] = [], classTimes: [Double] = []
        for number in 0..<queries * 2 {
            let query = Self.unitVector(&generator)
            let started = Date()
            let index = try ObjectIndex(path: path, create: false)
            let ranking = try index.similar(to: query, model: Self.model, className: number % 2 == 0 ? nil : "class7", top: 10)
            let elapsed = Date().timeIntervalSince(started) * 1000
            guard ranking.matches.count == 10 else { throw ExportFailure("\(path): the query found \(ranking.matches.count) objects") }
            if number % 2 == 0 { times.append(elapsed) } else { classTimes.append(elapsed) }
        }
        let pages = try ObjectIndex(path: path, create: false).pageBytes()
        return Report(objects: objects, buildSeconds: buildSeconds, bytesPerObject: Double(pages.rest) / Double(objects),
                      maskBytesPerObject: Double(pages.masks) / Double(objects), query: Summary(times), classQuery: Summary(classTimes))
    }

    private func build() throws {
        let index = try ObjectIndex(path: path, create: true)
        var generator = SplitMix64(seed: 18)
        // A 64x64 mask's RLE with a 20x20 square: about the size of a small real object's.
        var square = BinaryMask(width: 64, height: 64)
        for y in 20..<40 { for x in 20..<40 { square[x, y] = true } }
        let counts = RLE(mask: square).compressedString
        var made = 0, image = 0
        while made < objects {
            let count = min(Self.perImage, objects - made)
            let entries = (0..<count).map { number in
                ObjectIndex.Object(number: number + 1, className: "class\(Int(generator.next() % 20))", name: nil,
                                   box: PixelBox(x: 20, y: 20, width: 20, height: 20), area: 400, score: 0.9, counts: counts,
                                   embedding: Self.unitVector(&generator))
            }
            try index.replace(ObjectIndex.Image(path: "/bench/images/\(image).jpg", sha256: String(format: "%064d", image),
                                                width: 64, height: 64, model: Self.model, sessionSHA256: "bench"),
                              objects: entries)
            made += count
            image += 1
        }
    }

    static func unitVector(_ generator: inout SplitMix64) -> [Float] {
        let values = (0..<dimensions).map { _ in Float.random(in: -1..<1, using: &generator) }
        let length = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return values.map { $0 / length }
    }
}
