// samterm's sixel pictures in a real xterm (Debian's, `-ti vt340`, its default maxGraphicSize
// of 1000x1000) under Xvfb: in a window smaller than that limit and in one larger, the picture is
// drawn everywhere in the image area (xterm drops an image larger than its limit: nothing is
// drawn), and after a click the object's colour is blended in where the picture changed.
import XCTest
import Foundation

final class XtermSixelTests: XCTestCase {
    func testTheImageAndAMaskShowInAnXtermSmallerThanItsGraphicsLimit() throws {
        try checkXterm(columns: 80, rows: 30)
    }

    func testTheImageAndAMaskShowInAnXtermLargerThanItsGraphicsLimit() throws {
        // 160 x 50 cells of a 10 pt font: about 1280 x 850 pixels, wider than 1000.
        try checkXterm(columns: 160, rows: 50)
    }

    /// The first object's colour, blended at alpha 0.6 (ObjectPalette).
    static let objectColor = Screenshot.Color(red: 230, green: 40, blue: 40)

    func checkXterm(columns: Int, rows: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let binary = EditorEndToEndTests.binary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            return XCTFail("\(binary.path) is missing: build the samterm product first", file: file, line: line)
        }
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-xterm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("frames.log")
        let image = EditorEndToEndTests.repositoryRoot.appendingPathComponent("Resources/samples/astronaut.jpg")
        let checkpoint = EditorEndToEndTests.fixtures.appendingPathComponent("tiny_sam2.1.pt")
        let display = try XvfbDisplay(width: 1600, height: 1000)
        defer { display.stop() }
        // No --renderer: samterm asks xterm (DA1, XTSMGRAPHICS) and picks sixel itself.
        let command = "'\(binary.path)' edit '\(image.path)' --checkpoint '\(checkpoint.path)' --device cpu "
            + "--session-dir '\(folder.path)'; sleep 60"
        try display.launch("xterm", ["-ti", "vt340", "-fa", "Monospace", "-fs", "10", "-bg", "white", "-geometry",
                                     "\(columns)x\(rows)+0+0", "-e", "sh", "-c", command],
                           environment: ["SAMTERM_FRAME_LOG": log.path, "XDG_CACHE_HOME": folder.appendingPathComponent("cache").path])
        try waitFor("the image encoded and drawn", timeout: 60) {
            SlowLinkTests.lines(log).contains { $0.hasPrefix("image-encoded") }
                && SlowLinkTests.lines(log).contains { $0.hasPrefix("frame-written") && !$0.contains("bytes=0") }
        }
        XCTAssertTrue(SlowLinkTests.lines(log).contains { $0.contains("renderer=sixel") }, "sixel chosen: \(SlowLinkTests.lines(log))",
                      file: file, line: line)

        // The window's cells, from its size (xterm's inner border is 2 pixels).
        let geometry = String(decoding: try display.run("xdotool", ["search", "--class", "xterm", "getwindowgeometry"]), as: UTF8.self)
        let size = try XCTUnwrap(geometry.firstMatch(of: #/Geometry: (\d+)x(\d+)/#), geometry)
        let cellWidth = (Int(size.1)! - 4) / columns, cellHeight = (Int(size.2)! - 4) / rows
        // The image area: the window less the status and message rows, and never more than
        // xterm's 1000 x 1000.
        let area = (width: min(columns * cellWidth, 1000), height: min((rows - 2) * cellHeight, 1000))
        if columns > 100 { XCTAssertGreaterThan(columns * cellWidth, 1000, "the large window is wider than xterm's limit", file: file, line: line) }

        // Drawn from top to bottom: each quarter of the area's height shows a photograph's colours
        // (a blank screen or text has a handful; the sixel palettes keep up to 128 per band).
        let before = try display.waitFor("the picture in every quarter of the image area", timeout: 30) { shot in
            (0..<4).allSatisfy { quarter in
                shot.distinctColors(x: 2 + area.width / 4, y: 2 + quarter * area.height / 4, width: area.width / 2,
                                    height: area.height / 4, step: 3) > 40
            }
        }

        // A click at the cursor (the image's centre): the random-weight model's mask covers much
        // of the picture, and where the picture changed it is blended with the object's colour.
        // Keyboard focus follows the pointer (no window manager): point into the window first.
        try display.run("xdotool", ["mousemove", "\(area.width / 2)", "\(area.height / 2)"])
        try display.run("xdotool", ["key", "space"])
        try waitFor("the mask's frame written", timeout: 30) {
            SlowLinkTests.lines(log).contains { $0.hasPrefix("frame-written") && $0.contains("request=1 ") }
        }
        try display.waitFor("the mask's colour where the picture changed", timeout: 20) { after in
            var changed = 0, blended = 0
            for y in stride(from: 2, to: 2 + area.height, by: 3) {
                for x in stride(from: 2, to: 2 + area.width, by: 3) where after[x, y].distance(to: before[x, y]) > 24 {
                    changed += 1
                    let old = before[x, y], c = Self.objectColor
                    func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) * 0.4 + Double(b) * 0.6).rounded()) }
                    let expected = Screenshot.Color(red: mix(old.red, c.red), green: mix(old.green, c.green), blue: mix(old.blue, c.blue))
                    if after[x, y].distance(to: expected) <= 48 { blended += 1 }
                }
            }
            let samples = (area.width / 3) * (area.height / 3)
            return changed > samples / 50 && blended * 10 > changed * 6
        }
        print("xterm \(columns)x\(rows), cells \(cellWidth)x\(cellHeight): "
              + SlowLinkTests.lines(log).filter { $0.hasPrefix("frame-written") }.joined(separator: "; "))
    }

    func waitFor(_ what: String, timeout: Double, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() > deadline { throw RealTerminalError("timed out waiting for \(what)") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}
