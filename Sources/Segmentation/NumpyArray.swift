// NumPy's .npy files, for mask logits (`segment --mask-input`, `logits.npy`) and test fixtures.
//
// Reads float32, float64 (converted to float32) and uint8 / bool (as bytes), little-endian or
// byte-sized, C order; writes float32 and uint8 as format version 1.0. The header is a small
// Python dict literal; it is parsed field by field with strict limits, so a hostile file gives a
// `NumpyError` naming the file and the reason, never a crash or a huge allocation.

import Foundation

public struct NumpyError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file (or the name given for in-memory bytes).
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

public struct NumpyArray: Equatable, Sendable {
    public enum Values: Equatable, Sendable {
        case float32([Float])
        case uint8([UInt8])
    }

    /// Dimensions in C (row-major) order; empty for a scalar.
    public let shape: [Int]
    public let values: Values

    public init(shape: [Int], floats: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == floats.count, "shape does not fit the values")
        self.shape = shape
        self.values = .float32(floats)
    }

    public init(shape: [Int], bytes: [UInt8]) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == bytes.count, "shape does not fit the values")
        self.shape = shape
        self.values = .uint8(bytes)
    }

    /// The values when the array holds floats.
    public var floats: [Float]? {
        if case .float32(let values) = values { return values }
        return nil
    }

    /// The values when the array holds bytes.
    public var bytes: [UInt8]? {
        if case .uint8(let values) = values { return values }
        return nil
    }

    public var count: Int { shape.reduce(1, *) }

    // MARK: reading

    /// Files larger than this are refused before they are read.
    public static let maxFileBytes = 1 << 30

    public static func read(path: String) throws -> NumpyArray {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw NumpyError(path: path, reason: "cannot read the file: it is missing or unreadable")
        }
        if attributes[.type] as? FileAttributeType == .typeDirectory {
            throw NumpyError(path: path, reason: "cannot read the file: it is a folder")
        }
        if let size = attributes[.size] as? Int, size > maxFileBytes {
            throw NumpyError(path: path, reason: "the file is larger than 1 GiB, too large for a mask array")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NumpyError(path: path, reason: "cannot read the file")
        }
        return try decode([UInt8](data), source: path)
    }

    /// Decodes the bytes of a .npy file; `source` names it in error messages.
    public static func decode(_ bytes: [UInt8], source: String) throws -> NumpyArray {
        func fail(_ reason: String) -> NumpyError { NumpyError(path: source, reason: reason) }

        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard bytes.count >= 10, bytes.starts(with: magic) else { throw fail("not a .npy file") }
        let major = bytes[6]
        let headerStart: Int
        let headerLength: Int
        switch major {
        case 1:
            headerStart = 10
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated .npy header") }
            headerStart = 12
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        default:
            throw fail(".npy format version \(major) is not supported")
        }
        guard headerLength <= 1 << 16 else { throw fail(".npy header of \(headerLength) bytes is too long") }
        guard bytes.count - headerStart >= headerLength else { throw fail("truncated .npy header") }
        guard let header = String(bytes: bytes[headerStart..<headerStart + headerLength], encoding: .utf8) else {
            throw fail(".npy header is not text")
        }
        var parser = HeaderParser(text: header, source: source)
        let fields = try parser.parse()

        let dataStart = headerStart + headerLength
        let count = fields.shape.reduce(1, *)
        let itemSize = fields.kind.itemSize
        let (dataBytes, overflow) = count.multipliedReportingOverflow(by: itemSize)
        guard !overflow, bytes.count - dataStart == dataBytes else {
            throw fail("the data holds \(bytes.count - dataStart) bytes, the header announces \(overflow ? "more" : String(dataBytes))")
        }

        let data = bytes[dataStart...]
        switch fields.kind {
        case .uint8:
            return NumpyArray(shape: fields.shape, bytes: Array(data))
        case .bool:
            return NumpyArray(shape: fields.shape, bytes: data.map { $0 == 0 ? 0 : 1 })
        case .float32:
            var floats = [Float](repeating: 0, count: count)
            data.withUnsafeBytes { raw in
                for index in 0..<count {
                    floats[index] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
                }
            }
            return NumpyArray(shape: fields.shape, floats: floats)
        case .float64:
            var floats = [Float](repeating: 0, count: count)
            data.withUnsafeBytes { raw in
                for index in 0..<count {
                    floats[index] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))))
                }
            }
            return NumpyArray(shape: fields.shape, floats: floats)
        }
    }

    // MARK: writing

    /// The array as the bytes of a version 1.0 .npy file.
    public func encoded() -> [UInt8] {
        let descr: String
        switch values {
        case .float32: descr = "<f4"
        case .uint8: descr = "|u1"
        }
        let dimensions = shape.map(String.init).joined(separator: ", ")
        let shapeText = shape.count == 1 ? "(\(dimensions),)" : "(\(dimensions))"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Magic, version and length take 10 bytes; the header ends in a newline and pads the
        // whole preamble to a multiple of 64 bytes, as NumPy writes it.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = header.utf8.count

        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]
        out += Array(header.utf8)
        switch values {
        case .uint8(let bytes):
            out += bytes
        case .float32(let floats):
            out.reserveCapacity(out.count + 4 * floats.count)
            for value in floats { withUnsafeBytes(of: value.bitPattern.littleEndian) { out += $0 } }
        }
        return out
    }

    /// Writes the file whole or not at all.
    public func write(path: String) throws {
        try AtomicFileWriter.write(encoded(), to: path)
    }
}

// MARK: header parsing

private enum NumpyKind {
    case float32, float64, uint8, bool

    var itemSize: Int {
        switch self {
        case .float32: return 4
        case .float64: return 8
        case .uint8, .bool: return 1
        }
    }
}

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` and nothing fancier.
private struct HeaderParser {
    let characters: [Character]
    let source: String
    var position = 0

    init(text: String, source: String) {
        self.characters = Array(text)
        self.source = source
    }

    static let maxRank = 32

    func fail(_ reason: String) -> NumpyError { NumpyError(path: source, reason: ".npy header: \(reason)") }

    mutating func parse() throws -> (kind: NumpyKind, shape: [Int]) {
        var descr: String?
        var fortranOrder: Bool?
        var shape: [Int]?
        try expect("{")
        while true {
            skipSpace()
            if peek() == "}" { position += 1; break }
            let key = try quoted()
            try expect(":")
            switch key {
            case "descr": descr = try quoted()
            case "fortran_order": fortranOrder = try boolean()
            case "shape": shape = try tuple()
            default: throw fail("unexpected key '\(key)'")
            }
            skipSpace()
            if peek() == "," { position += 1; continue }
            try expect("}")
            break
        }
        skipSpace()
        guard position == characters.count else { throw fail("unexpected text after the dictionary") }
        guard let descr, let fortranOrder, let shape else { throw fail("descr, fortran_order or shape is missing") }
        if fortranOrder { throw fail("Fortran-ordered arrays are not supported (save with C order)") }
        let kind: NumpyKind
        switch descr {
        case "<f4": kind = .float32
        case "<f8": kind = .float64
        case "|u1", "<u1", ">u1": kind = .uint8
        case "|b1": kind = .bool
        case ">f4", ">f8": throw fail("big-endian arrays are not supported")
        default: throw fail("element type '\(descr)' is not supported (float32, float64, uint8 or bool)")
        }
        return (kind, shape)
    }

    func peek() -> Character? { position < characters.count ? characters[position] : nil }

    mutating func skipSpace() {
        while let c = peek(), c == " " || c == "\n" || c == "\t" { position += 1 }
    }

    mutating func expect(_ c: Character) throws {
        skipSpace()
        guard peek() == c else { throw fail("expected '\(c)'") }
        position += 1
    }

    mutating func quoted() throws -> String {
        skipSpace()
        guard let quote = peek(), quote == "'" || quote == "\"" else { throw fail("expected a quoted string") }
        position += 1
        var text = ""
        while let c = peek(), c != quote {
            guard text.count < 64 else { throw fail("string too long") }
            text.append(c)
            position += 1
        }
        guard peek() == quote else { throw fail("unterminated string") }
        position += 1
        return text
    }

    mutating func boolean() throws -> Bool {
        skipSpace()
        for (word, value) in [("True", true), ("False", false)] where characters[position...].starts(with: word) {
            position += word.count
            return value
        }
        throw fail("expected True or False")
    }

    mutating func tuple() throws -> [Int] {
        try expect("(")
        var dimensions: [Int] = []
        var total = 1
        while true {
            skipSpace()
            if peek() == ")" { position += 1; break }
            var digits = ""
            while let c = peek(), c.isASCII, c.isNumber {
                guard digits.count < 18 else { throw fail("dimension too large") }
                digits.append(c)
                position += 1
            }
            guard let dimension = Int(digits) else { throw fail("expected a dimension") }
            let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= NumpyArray.maxFileBytes else { throw fail("the shape holds too many values") }
            total = product
            dimensions.append(dimension)
            guard dimensions.count <= HeaderParser.maxRank else { throw fail("too many dimensions") }
            skipSpace()
            if peek() == "," { position += 1; continue }
            try expect(")")
            break
        }
        return dimensions
    }
}
