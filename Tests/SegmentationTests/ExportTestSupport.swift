// Shared by the mask, export and session tests: scratch folders, test masks and images, and
// running the real pycocotools (from the repository's .venv, made by `make deps`).

import Foundation
import Segmentation
import XCTest

enum ExportTestSupport {
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url
    }()

    /// A fresh folder under the system's temporary folder, removed by the test case's teardown.
    static func makeScratchFolder(_ testCase: XCTestCase) throws -> String {
        let path = NSTemporaryDirectory() + "samterm-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// A union of random discs and rectangles: the kind of shape SAM gives, with long runs.
    static func blobMask(width: Int, height: Int, shapes: Int, generator: inout SplitMix64) -> BinaryMask {
        var mask = BinaryMask(width: width, height: height)
        for _ in 0..<shapes {
            let centreX = Int.random(in: 0..<width, using: &generator)
            let centreY = Int.random(in: 0..<height, using: &generator)
            let radius = Int.random(in: 1...max(1, min(width, height) / 3), using: &generator)
            let isDisc = Bool.random(using: &generator)
            for y in max(0, centreY - radius)..<min(height, centreY + radius + 1) {
                for x in max(0, centreX - radius)..<min(width, centreX + radius + 1) {
                    let dx = x - centreX, dy = y - centreY
                    if !isDisc || dx * dx + dy * dy <= radius * radius { mask[x, y] = true }
                }
            }
        }
        return mask
    }

    /// Every pixel independently set with probability `density`: many short runs.
    static func noiseMask(width: Int, height: Int, density: Double, generator: inout SplitMix64) -> BinaryMask {
        let bytes = (0..<width * height).map { _ in Double.random(in: 0..<1, using: &generator) < density ? UInt8(1) : 0 }
        return BinaryMask(width: width, height: height, bytes: bytes)
    }

    /// A smooth colour gradient, so overlay and cut-out pixels are all different.
    static func gradientImage(width: Int, height: Int) -> RGBImage {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                pixels += [UInt8(x * 255 / max(1, width - 1)), UInt8(y * 255 / max(1, height - 1)), UInt8((x + y) % 256)]
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    // MARK: - pycocotools

    static var pythonPath: String { repositoryRoot.appendingPathComponent(".venv/bin/python").path }

    /// Runs `script` with the test venv's Python; returns stdout. Fails the test (never skips)
    /// when the venv is missing, since the COCO checks are part of what `make test` promises.
    static func runPython(_ script: String, arguments: [String] = [], file: StaticString = #filePath,
                          line: UInt = #line) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: pythonPath) else {
            XCTFail("\(pythonPath) is missing: run `make deps` to create it with pycocotools", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pythonPath)
        process.arguments = ["-c", script] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Drain stderr alongside stdout, so a chatty script cannot fill one pipe and block.
        let errorReading = DispatchGroup()
        nonisolated(unsafe) var errorBytes = Data()
        DispatchQueue.global().async(group: errorReading) {
            errorBytes = errors.fileHandleForReading.readDataToEndOfFile()
        }
        let outputBytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        errorReading.wait()
        let text = String(decoding: outputBytes, as: UTF8.self)
        if process.terminationStatus != 0 {
            XCTFail("python exited with \(process.terminationStatus):\n\(text)\n\(String(decoding: errorBytes, as: UTF8.self))",
                    file: file, line: line)
            throw CocoaError(.executableLoad)
        }
        return text
    }

    /// A small PNG reader in pure Python (zlib + the five filters), so that our PNGs are checked
    /// by a decoder that shares no code with the one that wrote them. Defines read_png(path)
    /// -> (numpy array [h, w] or [h, w, c], bit depth).
    static let pythonPNGReader = """
    import struct, zlib
    import numpy as np

    def read_png(path):
        data = open(path, 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', path + ': not a PNG'
        pos, idat = 8, b''
        while pos < len(data):
            length, kind = struct.unpack('>I4s', data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            pos += 12 + length
            if kind == b'IHDR':
                width, height, depth, color, _, _, interlace = struct.unpack('>IIBBBBB', body)
            elif kind == b'IDAT':
                idat += body
            elif kind == b'IEND':
                break
        assert interlace == 0
        channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
        bpp = channels * depth // 8
        stride = width * bpp
        raw = zlib.decompress(idat)
        out = bytearray()
        previous = bytearray(stride)
        offset = 0
        for _ in range(height):
            kind = raw[offset]
            line = bytearray(raw[offset + 1:offset + 1 + stride])
            offset += 1 + stride
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = previous[x]
                c = previous[x - bpp] if x >= bpp else 0
                if kind == 1:
                    line[x] = (line[x] + a) & 255
                elif kind == 2:
                    line[x] = (line[x] + b) & 255
                elif kind == 3:
                    line[x] = (line[x] + (a + b) // 2) & 255
                elif kind == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            out += line
            previous = line
        array = np.frombuffer(bytes(out), dtype='>u2' if depth == 16 else 'u1')
        shape = (height, width) if channels == 1 else (height, width, channels)
        return array.reshape(shape).astype(np.int64), depth

    """
}
