// The real-terminal harness itself: a terminal started under Xvfb shows in a screenshot, and keys
// typed with xdotool reach the program in it.
import Foundation
import XCTest

final class RealTerminalTests: XCTestCase {
    func testXtermUnderXvfbShowsItsColoursAndTakesKeys() throws {
        let display = try XvfbDisplay(width: 640, height: 400)
        defer { display.stop() }
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-xvfb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let typed = folder.appendingPathComponent("typed")
        // A red window that records one line typed into it.
        try display.launch("xterm", ["-bg", "#ff0000", "-fg", "#ffffff", "-geometry", "80x24+0+0", "-e", "sh", "-c",
                                     "read line; echo \"$line\" > '\(typed.path)'"])
        let red = Screenshot.Color(red: 255, green: 0, blue: 0)
        try display.waitFor("the red xterm", timeout: 30) { $0.share(x: 0, y: 0, width: 200, height: 200) { $0 == red } > 0.8 }
        try display.keys("h", "i", "Return")
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: typed.path), Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertEqual(try String(contentsOf: typed, encoding: .utf8), "hi\n")
    }
}
