// samterm in a real kitty (Debian's 0.26.5 under Xvfb): the picture comes through the kitty
// graphics protocol, a click brings the overlay, quitting takes the pictures away; then inside
// tmux, with passthrough on (pictures, and what a click costs on the wire) and off (half-blocks
// and the hint).
import Foundation
import XCTest

final class KittyTerminalTests: XCTestCase {
    private var folder: URL!
    private var display: XvfbDisplay?
    private let socket = "samterm-kitty-\(UUID().uuidString.prefix(8))"

    /// The image area in the screenshot: the 1280x800 window's left part, above the status lines.
    private let area = (x: 200, y: 40, width: 640, height: 640)

    override func setUpWithError() throws {
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-kitty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: EditorEndToEndTests.repositoryRoot.appendingPathComponent("Resources/samples/astronaut.jpg"),
                                         to: folder.appendingPathComponent("astronaut.jpg"))
    }

    override func tearDownWithError() throws {
        _ = try? tmux(["kill-server"])
        display?.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// `samterm edit astronaut.jpg` with the tiny model, its exit status written to `exit-status`.
    private func samterm(_ extra: String = "") -> String {
        let checkpoint = EditorEndToEndTests.fixtures.appendingPathComponent("tiny_sam2.1.pt").path
        return "cd '\(folder.path)' && XDG_CACHE_HOME='\(folder.path)/cache' SAMTERM_FRAME_LOG='\(folder.path)/frames.log' "
            + "'\(EditorEndToEndTests.binary.path)' edit astronaut.jpg --checkpoint '\(checkpoint)' --device cpu \(extra); "
            + "echo $? > '\(folder.path)/exit-status'"
    }

    /// kitty filling the screen (without a window manager it keeps the size it asks for), running `command`.
    private func kitty(running command: String) throws -> XvfbDisplay {
        guard XvfbDisplay.which("kitty") != nil else {
            XCTFail("kitty is missing: `make deps` installs it")
            throw CocoaError(.fileNoSuchFile)
        }
        let display = try XvfbDisplay(width: 1280, height: 800)
        self.display = display
        try display.launch("kitty", ["--config", "NONE", "-o", "font_size=10", "-o", "remember_window_size=no",
                                     "-o", "initial_window_width=1280", "-o", "initial_window_height=800",
                                     "sh", "-c", command + "; sleep 120"])
        return display
    }

    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: XvfbDisplay.which("tmux") ?? "/usr/bin/tmux")
        process.arguments = ["-L", socket] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// A photograph in the image area: hundreds of colours, hardly any black.
    private func showsPicture(_ shot: Screenshot) -> Bool {
        shot.distinctColors(x: area.x, y: area.y, width: area.width, height: area.height) > 500
            && shot.share(x: area.x, y: area.y, width: area.width, height: area.height) { $0.red < 8 && $0.green < 8 && $0.blue < 8 } < 0.2
    }

    /// The share of the image area's pixels that differ from `before`.
    private func changed(_ shot: Screenshot, from before: Screenshot) -> Double {
        var differing = 0, total = 0
        for y in stride(from: area.y, to: area.y + area.height, by: 2) {
            for x in stride(from: area.x, to: area.x + area.width, by: 2) {
                total += 1
                if shot[x, y].distance(to: before[x, y]) > 24 { differing += 1 }
            }
        }
        return Double(differing) / Double(total)
    }

    private func frameLog() -> [String] {
        ((try? String(contentsOf: folder.appendingPathComponent("frames.log"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Waits until the model is loaded and the image encoded (the frame log says a click can go).
    private func waitForEncoding() throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !FileManager.default.fileExists(atPath: folder.appendingPathComponent("cache").path) {
            Thread.sleep(forTimeInterval: 0.2)
        }
        Thread.sleep(forTimeInterval: 2)
    }

    func testKittyDrawsThePictureTheOverlayAndRemovesThemOnQuit() throws {
        let display = try kitty(running: samterm())
        let before = try display.waitFor("the picture through the kitty protocol", showsPicture)
        XCTAssertTrue(frameLog().first?.contains("renderer=kitty") == true, "detected, not forced: \(frameLog())")
        try waitForEncoding()
        try display.keys("space")
        try display.waitFor("the mask's overlay") { self.changed($0, from: before) > 0.05 }
        try display.keys("q")
        Thread.sleep(forTimeInterval: 1)
        if !FileManager.default.fileExists(atPath: folder.appendingPathComponent("exit-status").path) { try display.keys("y") }
        try display.waitFor("the pictures gone after quitting") { shot in
            shot.share(x: self.area.x, y: self.area.y, width: self.area.width, height: self.area.height) {
                $0.red < 8 && $0.green < 8 && $0.blue < 8
            } > 0.99
        }
        // The pictures go before samterm has finished (it then stops its worker): wait for its end.
        let exitFile = folder.appendingPathComponent("exit-status")
        let deadline = Date().addingTimeInterval(15)
        while !FileManager.default.fileExists(atPath: exitFile.path), Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertEqual(try String(contentsOf: exitFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), "0")
    }

    /// tmux in kitty, its options from a file so they hold before samterm asks.
    private func tmuxInKitty(passthrough: Bool) throws -> XvfbDisplay {
        guard XvfbDisplay.which("tmux") != nil else {
            XCTFail("tmux is missing: `make deps` installs it")
            throw CocoaError(.fileNoSuchFile)
        }
        let configuration = folder.appendingPathComponent("tmux.conf")
        try "set -g allow-passthrough \(passthrough ? "on" : "off")\nset -g status off\n".write(to: configuration, atomically: true, encoding: .utf8)
        let inner = samterm().replacingOccurrences(of: "'", with: "'\\''")
        return try kitty(running: "tmux -L \(socket) -f '\(configuration.path)' new-session '\(inner); sleep 120'")
    }

    func testInsideTmuxWithPassthroughTheKittyPictureAndAClickCostsLittle() throws {
        let display = try tmuxInKitty(passthrough: true)
        let before = try display.waitFor("the picture through tmux's passthrough", showsPicture)
        XCTAssertTrue(frameLog().first?.contains("renderer=kitty") == true, "\(frameLog())")
        let firstFrame = try XCTUnwrap(frameLog().first.flatMap { $0.split(separator: "bytes=").last.flatMap { Int($0) } })
        try waitForEncoding()

        let recorded = folder.appendingPathComponent("click.bytes")
        try tmux(["pipe-pane", "-o", "cat > '\(recorded.path)'"])
        Thread.sleep(forTimeInterval: 0.5)
        try display.keys("space")
        try display.waitFor("the mask's overlay") { self.changed($0, from: before) > 0.05 }
        Thread.sleep(forTimeInterval: 1)
        try tmux(["pipe-pane"])
        let click = try Data(contentsOf: recorded).count
        // The random-weight model's masks are speckled: the issue's bound for them is 5% of the first frame.
        XCTAssertGreaterThan(click, 0)
        XCTAssertLessThanOrEqual(Double(click), 0.05 * Double(firstFrame), "a click: \(click) B, first frame \(firstFrame) B")
        print("kitty in tmux: first frame \(firstFrame) B, click \(click) B")
    }

    func testInsideTmuxWithoutPassthroughHalfBlocksAndTheHint() throws {
        let display = try tmuxInKitty(passthrough: false)
        try display.waitFor("the half-block picture") { $0.distinctColors(x: self.area.x, y: self.area.y, width: self.area.width,
                                                                             height: self.area.height) > 200 }
        let deadline = Date().addingTimeInterval(30)
        var screen = ""
        while Date() < deadline, !screen.contains("allow-passthrough") {
            screen = try tmux(["capture-pane", "-p"])
            Thread.sleep(forTimeInterval: 0.3)
        }
        XCTAssertTrue(screen.contains("pixels: tmux set -g allow-passthrough on"), screen)
        XCTAssertTrue(screen.contains("▀"), "half-blocks: \(screen)")
        XCTAssertTrue(frameLog().first?.contains("renderer=truecolor") == true || frameLog().first?.contains("renderer=256") == true,
                      "\(frameLog())")
    }
}
