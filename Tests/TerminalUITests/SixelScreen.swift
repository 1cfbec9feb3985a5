// A screen of pixels that understands what the sixel renderer writes: cursor placements and
// sixel images (decoded by libsixel), pasted at their cells. Tests compare it with the frame
// the terminal should show.
import CSixel
import Foundation
import Segmentation
import XCTest
@testable import TerminalUI

struct SixelScreen {
    let cellWidth: Int, cellHeight: Int
    private(set) var canvas: Raster
    /// Each image written: where (in cells) and its size (in pixels).
    private(set) var images: [(cell: CellPosition, width: Int, height: Int)] = []

    init(columns: Int, rows: Int, cellWidth: Int, cellHeight: Int) {
        self.cellWidth = cellWidth
        self.cellHeight = cellHeight
        canvas = Raster(width: columns * cellWidth, height: rows * cellHeight)
    }

    mutating func resetImages() { images = [] }

    mutating func feed(_ bytes: [UInt8]) throws {
        var cursor = CellPosition(column: 0, row: 0)
        var index = 0
        while index < bytes.count {
            guard bytes[index] == 0x1b, index + 1 < bytes.count else { index += 1; continue }
            switch bytes[index + 1] {
            case UInt8(ascii: "["):
                var end = index + 2
                while end < bytes.count, !(0x40...0x7e).contains(bytes[end]) { end += 1 }
                let numbers = String(decoding: bytes[(index + 2)..<end], as: UTF8.self).split(separator: ";").map { Int($0) ?? 1 }
                if end < bytes.count, bytes[end] == UInt8(ascii: "H"), numbers.count == 2 {
                    cursor = CellPosition(column: numbers[1] - 1, row: numbers[0] - 1)
                }
                index = end + 1
            case UInt8(ascii: "P"):
                var end = index + 2
                while end + 1 < bytes.count, !(bytes[end] == 0x1b && bytes[end + 1] == UInt8(ascii: "\\")) { end += 1 }
                XCTAssertLessThan(end + 1, bytes.count, "an unfinished sixel image")
                let image = try Self.decode(Array(bytes[index...(end + 1)]))
                paste(image, at: cursor)
                images.append((cursor, image.width, image.height))
                index = end + 2
            default:
                index += 2  // DECSC / DECRC
            }
        }
    }

    private mutating func paste(_ image: Raster, at cell: CellPosition) {
        for y in 0..<image.height {
            for x in 0..<image.width {
                canvas.set(x: cell.column * cellWidth + x, y: cell.row * cellHeight + y, to: image.color(x: x, y: y))
            }
        }
    }

    /// Pixels of the area at `origin` (in cells) that differ from `expected` by more than
    /// `tolerance` in a channel (sixel colours are percentages).
    func wrongPixels(_ expected: Raster, origin: CellPosition = CellPosition(column: 0, row: 0), tolerance: Int = 3) -> Int {
        var wrong = 0
        for y in 0..<expected.height {
            for x in 0..<expected.width {
                let a = canvas.color(x: origin.column * cellWidth + x, y: origin.row * cellHeight + y), b = expected.color(x: x, y: y)
                if max(abs(Int(a.red) - Int(b.red)), abs(Int(a.green) - Int(b.green)), abs(Int(a.blue) - Int(b.blue))) > tolerance {
                    wrong += 1
                }
            }
        }
        return wrong
    }

    static func decode(_ bytes: [UInt8]) throws -> Raster {
        var input = bytes
        var pixels: UnsafeMutablePointer<UInt8>?
        var palette: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0, colors: Int32 = 0
        let status = input.withUnsafeMutableBufferPointer {
            sixel_decode_raw($0.baseAddress, Int32($0.count), &pixels, &width, &height, &palette, &colors, nil)
        }
        XCTAssertEqual(csixel_failed(status), 0)
        let indices = try XCTUnwrap(pixels), table = try XCTUnwrap(palette)
        defer { free(indices); free(table) }
        var raster = Raster(width: Int(width), height: Int(height))
        for index in 0..<Int(width * height) {
            let entry = Int(indices[index]) * 3
            raster.set(x: index % Int(width), y: index / Int(width), to: RGBColor(table[entry], table[entry + 1], table[entry + 2]))
        }
        return raster
    }
}
