// COCO run-length encoding, bit for bit as pycocotools (common/maskApi.c) writes it.
//
// Runs go down the columns (Fortran order: the pixel below comes next, then the next column)
// and alternate outside/inside, starting with outside, so a mask whose first pixel is inside
// starts with a zero-length run. The compressed string form stores each count as a
// little-endian sequence of 5-bit groups, one character (ASCII 48 + value) per group, bit 0x20
// meaning "another group follows" and bit 0x10 of the last group the sign. From the fourth
// count on, what is stored is the difference to the count two before (the previous run of the
// same kind), which is small for smooth shapes.

import Foundation

public struct RLE: Equatable, Sendable {
    public let height: Int
    public let width: Int
    /// Run lengths, alternating outside/inside, starting with outside; they sum to height * width.
    public let counts: [UInt32]

    /// Why a compressed RLE string cannot be decoded.
    public struct DecodingError: Error, Equatable, CustomStringConvertible, Sendable {
        public let reason: String
        public var description: String { "invalid COCO RLE: \(reason)" }
    }

    public init(mask: BinaryMask) {
        let height = mask.height, width = mask.width
        self.height = height
        self.width = width
        var runs: [UInt32] = []
        var current: UInt8 = 0
        var length: UInt32 = 0
        mask.bytes.withUnsafeBufferPointer { pixels in
            for x in 0..<width {
                var index = x
                for _ in 0..<height {
                    let value = pixels[index]
                    if value != current {
                        runs.append(length)
                        length = 0
                        current = value
                    }
                    length += 1
                    index += width
                }
            }
        }
        runs.append(length)
        counts = runs
    }

    /// Checks that the runs cover exactly height * width pixels.
    public init(height: Int, width: Int, counts: [UInt32]) throws {
        guard height >= 0, width >= 0 else { throw DecodingError(reason: "negative size \(height)x\(width)") }
        let total = counts.reduce(UInt64(0)) { $0 + UInt64($1) }
        guard total == UInt64(height) * UInt64(width) else {
            throw DecodingError(reason: "runs cover \(total) pixels, a \(width)x\(height) mask has \(height * width)")
        }
        self.height = height
        self.width = width
        self.counts = counts
    }

    /// Reads pycocotools' compressed string (`rleFrString`), rejecting anything it would
    /// misread: characters outside '0'...'o', a count cut off mid-way, negative or oversized
    /// counts, or runs that do not cover the mask exactly.
    public init(compressed string: String, height: Int, width: Int) throws {
        var runs: [UInt32] = []
        var value: Int64 = 0
        var groups = 0
        for (position, byte) in string.utf8.enumerated() {
            guard byte >= 48, byte <= 111 else {
                throw DecodingError(reason: "character \(Self.describe(byte)) at \(position) is outside '0'...'o'")
            }
            // Seven groups already reach 35 bits, beyond any count a mask can have.
            guard groups < 7 else { throw DecodingError(reason: "a count at \(position) is too long") }
            let group = Int64(byte - 48)
            value |= (group & 0x1f) << Int64(5 * groups)
            groups += 1
            if group & 0x20 != 0 { continue }
            if group & 0x10 != 0 { value |= -1 << Int64(5 * groups) }
            if runs.count > 2 { value += Int64(runs[runs.count - 2]) }
            guard value >= 0, value <= Int64(UInt32.max) else {
                throw DecodingError(reason: "count \(runs.count + 1) is \(value), outside 0...\(UInt32.max)")
            }
            runs.append(UInt32(value))
            value = 0
            groups = 0
        }
        guard groups == 0 else { throw DecodingError(reason: "the string ends in the middle of a count") }
        try self.init(height: height, width: width, counts: runs)
    }

    /// pycocotools' `rleToString`.
    public var compressedString: String {
        var characters: [UInt8] = []
        characters.reserveCapacity(counts.count * 2)
        for index in counts.indices {
            var value = Int64(counts[index])
            if index > 2 { value -= Int64(counts[index - 2]) }
            var more = true
            while more {
                var group = UInt8(value & 0x1f)
                value >>= 5  // arithmetic: negative differences keep their sign
                more = group & 0x10 != 0 ? value != -1 : value != 0
                if more { group |= 0x20 }
                characters.append(group + 48)
            }
        }
        return String(decoding: characters, as: UTF8.self)
    }

    public func decode() -> BinaryMask {
        var bytes = [UInt8](repeating: 0, count: width * height)
        var position = 0  // in column-major order
        var inside = false
        for run in counts {
            if inside {
                for offset in position..<position + Int(run) {
                    let (x, y) = offset.quotientAndRemainder(dividingBy: height)
                    bytes[y * width + x] = 1
                }
            }
            position += Int(run)
            inside.toggle()
        }
        return BinaryMask(width: width, height: height, bytes: bytes)
    }

    /// Pixels inside: the sum of the odd runs.
    public var area: Int {
        stride(from: 1, to: counts.count, by: 2).reduce(0) { $0 + Int(counts[$1]) }
    }

    private static func describe(_ byte: UInt8) -> String {
        (32..<127).contains(byte) ? "'\(Character(UnicodeScalar(byte)))'" : String(format: "0x%02x", byte)
    }
}
