// What a click costs on the wire with the half-block renderers, counted as the issue counts it:
// the bytes samterm writes into a 200x60 tmux pane, recorded with `tmux pipe-pane -o`, between
// the idle screen before a click and the idle screen after it. The bound: the bytes of writing
// just the cells that changed (PaneCells.cost, from `capture-pane -e` before and after) plus 5%.
// Byte counts are deterministic, so they are asserted; times are not.
import Foundation
import XCTest

final class PipePaneBytesTests: XCTestCase {
    private var folder: URL!
    private var tmux: TmuxSession?
    private let columns = 200, rows = 60

    override func setUpWithError() throws {
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-pipe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: EditorEndToEndTests.repositoryRoot.appendingPathComponent("Resources/samples/astronaut.jpg"),
                                         to: folder.appendingPathComponent("astronaut.jpg"))
    }

    override func tearDownWithError() throws {
        tmux?.kill()
        try? FileManager.default.removeItem(at: folder)
    }

    func testTruecolorClickCostsTheCellsThatChanged() throws {
        try clickCostsTheCellsThatChanged(renderer: "truecolor")
    }

    func test256ClickCostsTheCellsThatChanged() throws {
        try clickCostsTheCellsThatChanged(renderer: "256")
    }

    /// The cost model on a known screen: two changed truecolor cells side by side and one
    /// further on, after a reset start.
    func testCostOfChangedCells() {
        let before = PaneCells.parse("ab  c\n", columns: 5, rows: 1)
        let after = PaneCells.parse("\u{1b}[38;2;1;2;3m\u{1b}[48;2;4;5;6m▀▀\u{1b}[39m\u{1b}[49m  \u{1b}[1md\n", columns: 5, rows: 1)
        XCTAssertEqual(after[0][1], PaneCell(glyph: "▀", foreground: .direct(1, 2, 3), background: .direct(4, 5, 6)))
        XCTAssertEqual(after[0][4], PaneCell(glyph: "d", bold: true))
        XCTAssertEqual(PaneCells.changed(before, after).map(\.column), [0, 1, 4])
        // CSI 1;1H, CSI 0;38;2;1;2;3;48;2;4;5;6m, two ▀; CSI 1;5H, CSI 1;39;49m, d; CSI 0m.
        XCTAssertEqual(PaneCells.cost(from: before, to: after), 6 + 26 + 6 + 6 + 10 + 1 + 4)
        var pen = PaneCell.blank
        PaneCells.apply("1;38;5;200;48;5;17", to: &pen)
        XCTAssertEqual(pen, PaneCell(foreground: .palette(200), background: .palette(17), bold: true))
        PaneCells.apply("0;2;31;42", to: &pen)
        XCTAssertEqual(pen, PaneCell(foreground: .ansi(1), background: .ansi(2), dim: true))
    }

    private func clickCostsTheCellsThatChanged(renderer: String) throws {
        let binary = EditorEndToEndTests.binary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            return XCTFail("\(binary.path) is missing: build the samterm product first (swift build)")
        }
        let checkpoint = EditorEndToEndTests.fixtures.appendingPathComponent("tiny_sam2.1.pt").path
        let recorded = folder.appendingPathComponent("pane.bytes"), frameLog = folder.appendingPathComponent("frames.log")
        // samterm waits for `go`, so that pipe-pane records it from its first byte.
        let command = "cd '\(folder.path)' && while [ ! -e go ]; do sleep 0.05; done; "
            + "env LC_ALL=C.UTF-8 XDG_CACHE_HOME='\(folder.path)/cache' SAMTERM_FRAME_LOG='\(frameLog.path)' "
            + "'\(binary.path)' edit astronaut.jpg --checkpoint '\(checkpoint)' --device cpu --renderer \(renderer); sleep 60"
        let session = try TmuxSession(command: command, columns: columns, rows: rows)
        tmux = session
        try session.run(["pipe-pane", "-o", "-t", "editor", "cat > '\(recorded.path)'"])
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("go").path, contents: nil)

        let startup = try waitUntilIdle(session, recorded, after: 0, "the model, the image and its encoding") {
            $0.contains("astronaut.jpg 512x512") && $0.contains("no objects")
        }
        let before = PaneCells.parse(try session.run(["capture-pane", "-p", "-e", "-N", "-t", "editor"]), columns: columns, rows: rows)
        let framesBefore = imageFrames(frameLog)

        try session.send("Space")
        let end = try waitUntilIdle(session, recorded, after: startup, "the click's mask and its latency") { screen in
            let status = screen.split(separator: "\n").first { $0.contains("astronaut.jpg") } ?? ""
            return status.contains("object 1 (1 of 1)") && status.contains(#/\| \d+ ms/#)
        }
        let after = PaneCells.parse(try session.run(["capture-pane", "-p", "-e", "-N", "-t", "editor"]), columns: columns, rows: rows)
        let frames = Array(imageFrames(frameLog).dropFirst(framesBefore.count))

        let click = end - startup
        let changed = PaneCells.changed(before, after)
        let cost = PaneCells.cost(from: before, to: after)
        // The image frames as samterm logs them, each wrapped in DECSC ... DECRC (4 bytes); the rest is curses.
        let imageBytes = frames.reduce(0, +) + 4 * frames.count
        let chrome = changed.filter { $0.row >= rows - 2 || $0.column >= columns - 24 }.count
        let report = "\(renderer): startup \(startup) B; click \(click) B (image frames \(frames) + 4 B each = \(imageBytes) B, "
            + "curses \(click - imageBytes) B); \(changed.count) cells changed (\(chrome) in the status lines and panel), "
            + "writing them costs \(cost) B; click/cost \(String(format: "%.3f", Double(click) / Double(max(cost, 1))))"
        print(report)
        XCTAssertGreaterThan(changed.count - chrome, 100, "the mask changes the picture: \(report)")
        XCTAssertLessThanOrEqual(Double(click), 1.05 * Double(cost), report)
    }

    /// Waits until samterm is idle: the screen satisfies `done`, shows no background work, and
    /// the recording has grown past `previous` and then not changed for a second. Returns its size.
    private func waitUntilIdle(_ session: TmuxSession, _ recorded: URL, after previous: Int, _ what: String,
                               _ done: (String) -> Bool) throws -> Int {
        let deadline = Date(timeIntervalSinceNow: 90)
        var size = -1, stableSince = Date()
        var screen = ""
        while Date() < deadline {
            screen = session.capture()
            let now = (try? FileManager.default.attributesOfItem(atPath: recorded.path)[.size] as? Int) ?? 0
            if now != size { (size, stableSince) = (now, Date()) }
            if size > previous, done(screen), EditorEndToEndTests.isIdle(screen), Date().timeIntervalSince(stableSince) >= 1 {
                return size
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TmuxSession.Failure("timed out waiting for \(what) (\(size) B recorded); the screen:\n\(screen)")
    }

    /// The bytes of each image frame in the frame log (the `bytes=` of input-to-frame and frame lines).
    private func imageFrames(_ log: URL) -> [Int] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.hasPrefix("input-to-frame ") || $0.hasPrefix("frame ") }
            .compactMap { line in line.firstMatch(of: #/bytes=(\d+)/#).flatMap { Int($0.output.1) } }
    }
}
