// The head of an embedding file (Predictor.saveEmbedding; the format is described in
// Sources/SamEngine/model/embedding_file.h), read without loading the tensors: enough to tell
// whether a cached file is whole and belongs to a model and an image.
import Foundation

public struct EmbeddingFileHeader: Equatable, Sendable {
    public let modelName: String
    public let imageKey: String
    public let width: Int
    public let height: Int
    public let tensorShapes: [[Int]]
    /// Bytes the whole file holds when complete: this header and every tensor's float32 values.
    public let completeFileSize: Int

    // The engine's own limits: a header beyond them is not one of its files.
    static let maxStringLength = 4096
    static let maxTensors = 16
    static let maxRank = 8
    static let maxHeaderSize = 8 + 4 + 2 * (4 + maxStringLength) + 4 + 4 + 4 + maxTensors * (4 + 8 * maxRank)

    /// Nil when `bytes` (the start of a file) is not an embedding header: other magic, another
    /// version, sizes out of range, or too few bytes.
    public init?(parsing bytes: [UInt8]) {
        var offset = 0
        func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count >= 0, bytes.count - offset >= count else { return nil }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }
        func integer(_ size: Int) -> UInt64? {
            guard let field = take(size) else { return nil }
            return field.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
        func string() -> String? {
            guard let length = integer(4), length <= UInt64(Self.maxStringLength), let text = take(Int(length)) else { return nil }
            return String(decoding: text, as: UTF8.self)
        }
        guard let magic = take(8), Array(magic) == Array("SAMEMBED".utf8), integer(4) == 1,
              let modelName = string(), let imageKey = string(),
              let width = integer(4).map({ Int(Int32(truncatingIfNeeded: $0)) }),
              let height = integer(4).map({ Int(Int32(truncatingIfNeeded: $0)) }),
              width > 0, height > 0,
              let count = integer(4), count <= UInt64(Self.maxTensors) else { return nil }
        var shapes: [[Int]] = []
        var floats = 0
        for _ in 0..<Int(count) {
            guard let rank = integer(4), rank <= UInt64(Self.maxRank) else { return nil }
            var shape: [Int] = []
            var values = 1
            for _ in 0..<Int(rank) {
                guard let raw = integer(8), raw <= UInt64(Int32.max) else { return nil }
                let (product, overflow) = values.multipliedReportingOverflow(by: Int(raw))
                guard !overflow else { return nil }
                values = product
                shape.append(Int(raw))
            }
            let (sum, overflow) = floats.addingReportingOverflow(values)
            guard !overflow, sum < Int.max / 8 else { return nil }
            floats = sum
            shapes.append(shape)
        }
        self.modelName = modelName
        self.imageKey = imageKey
        self.width = width
        self.height = height
        tensorShapes = shapes
        completeFileSize = offset + floats * 4
    }

    /// Reads the header of the file at `path`; nil when it cannot be read or is not one.
    public static func read(path: String) -> EmbeddingFileHeader? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: maxHeaderSize) else { return nil }
        return EmbeddingFileHeader(parsing: [UInt8](data))
    }

    /// True when the file at `path` is a whole embedding of `modelName` for `imageKey`: its
    /// header says so and it holds exactly the bytes the header announces.
    public static func isComplete(path: String, modelName: String, imageKey: String) -> Bool {
        guard let header = read(path: path), header.modelName == modelName, header.imageKey == imageKey,
              let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (attributes[.size] as? NSNumber)?.intValue else { return false }
        return size == header.completeFileSize
    }
}
