// Mouse drags from a real xterm (under Xvfb, xdotool's pointer) through tmux to samterm: a left
// drag shows the box's rubber band before the button is released, and a middle drag pans the
// zoomed view (the status line's "view" range moves). tmux reads the screen back as text.
import XCTest
import Foundation

final class XtermMouseDragTests: XCTestCase {
    func testALeftDragShowsItsBoxAndAMiddleDragPans() throws {
        let binary = EditorEndToEndTests.binary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            return XCTFail("\(binary.path) is missing: build the samterm product first")
        }
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-drag-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: EditorEndToEndTests.fixtures.appendingPathComponent("image_wide.png"),
                                         to: folder.appendingPathComponent("wide.png"))
        let checkpoint = EditorEndToEndTests.fixtures.appendingPathComponent("tiny_sam2.1.pt")
        let socket = "samterm-drag-\(UUID().uuidString.prefix(8))"
        let columns = 80, rows = 30
        let display = try XvfbDisplay(width: 1200, height: 800)
        defer {
            _ = try? display.run("tmux", ["-L", socket, "kill-server"])
            display.stop()
        }
        let command = "cd '\(folder.path)' && tmux -u -f /dev/null -L \(socket) new-session -x \(columns) -y \(rows) "
            + "\"XDG_CACHE_HOME='\(folder.path)/cache' '\(binary.path)' edit wide.png --checkpoint '\(checkpoint.path)' "
            + "--device cpu --renderer truecolor; sleep 60\""
        try display.launch("xterm", ["-fa", "Monospace", "-fs", "10", "-geometry", "\(columns)x\(rows)+0+0", "-e", "sh", "-c", command])
        func screen() -> String {
            (try? display.run("tmux", ["-L", socket, "capture-pane", "-p"])).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        func waitFor(_ what: String, _ done: (String) -> Bool) throws -> String {
            let deadline = Date().addingTimeInterval(60)
            var last = ""
            while Date() < deadline {
                last = screen()
                if done(last) { return last }
                Thread.sleep(forTimeInterval: 0.2)
            }
            let panes = (try? display.run("tmux", ["-L", socket, "list-panes", "-a"])).map { String(decoding: $0, as: UTF8.self) }
            let message = "timed out waiting for \(what) (panes: \(panes ?? "none")); the screen: \(last.debugDescription)"
            XCTFail(message)
            throw RealTerminalError(message)
        }
        // tmux's own status bar takes the window's last row: the pane has one row fewer.
        func status(_ text: String) -> String { SmallWindowEndToEndTests.status(text, rows: rows - 1) }
        _ = try waitFor("the editor idle") { EditorEndToEndTests.isIdle($0) && status($0).contains("wide.png") }

        let geometry = String(decoding: try display.run("xdotool", ["search", "--class", "xterm", "getwindowgeometry"]), as: UTF8.self)
        let size = try XCTUnwrap(geometry.firstMatch(of: #/Geometry: (\d+)x(\d+)/#), geometry)
        let cellWidth = (Int(size.1)! - 4) / columns, cellHeight = (Int(size.2)! - 4) / rows
        func pixel(_ column: Int, _ row: Int) -> [String] {
            ["\(2 + column * cellWidth + cellWidth / 2)", "\(2 + row * cellHeight + cellHeight / 2)"]
        }

        // A left drag: the box shows while the button is still down.
        try display.run("xdotool", ["mousemove"] + pixel(20, 8) + ["mousedown", "1"])
        try display.run("xdotool", ["mousemove"] + pixel(30, 12))
        try display.run("xdotool", ["mousemove"] + pixel(44, 16))
        // (Its first corner is under the crosshair, which stays where the button went down.)
        let dragging = try waitFor("the rubber band") { $0.contains("┐") && $0.contains("┘") && $0.contains("└") }
        XCTAssertTrue(status(dragging).contains("no objects"), "nothing placed yet: \(dragging)")
        try display.run("xdotool", ["mouseup", "1"])
        _ = try waitFor("the box's mask") { EditorEndToEndTests.isIdle($0) && SmallWindowEndToEndTests.scores(status($0)).count >= 1 }

        // Zoomed in, a middle drag to the left shows more of the image's right.
        try display.run("xdotool", ["mousemove"] + pixel(40, 14) + ["key", "plus", "plus"])
        let zoomed = try waitFor("the zoom") { status($0).contains("zoom") }
        let before = try XCTUnwrap(Self.viewStart(status(zoomed)), status(zoomed))
        try display.run("xdotool", ["mousemove"] + pixel(40, 14) + ["mousedown", "2"])
        try display.run("xdotool", ["mousemove"] + pixel(30, 14))
        try display.run("xdotool", ["mousemove"] + pixel(20, 14) + ["mouseup", "2"])
        let panned = try waitFor("the pan") { Self.viewStart(status($0)).map { $0 > before } ?? false }
        XCTAssertEqual(SmallWindowEndToEndTests.scores(status(panned)).count, SmallWindowEndToEndTests.scores(status(zoomed)).count,
                       "a pan places no point")
    }

    /// The first percentage of the status line's "23–84%" view range.
    static func viewStart(_ status: String) -> Int? {
        status.firstMatch(of: #/(\d+)–\d+%/#).flatMap { Int($0.output.1) }
    }
}
