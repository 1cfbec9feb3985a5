// `A` with the real binary and the tiny fixture model in tmux (its run takes tens of seconds on
// the CPU): the question first, progress counted in points, Esc cancelling, and a result line
// that outlives the next key.
import XCTest
import Foundation

final class FindObjectsEndToEndTests: XCTestCase {
    private var folder: URL!
    private var tmux: TmuxSession?

    override func setUpWithError() throws {
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-find-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: EditorEndToEndTests.fixtures.appendingPathComponent("image_wide.png"),
                                        to: folder.appendingPathComponent("wide.png"))
    }

    override func tearDownWithError() throws {
        tmux?.kill()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Polls the screen for up to `seconds` (a generator run on a busy machine takes a while).
    private func waitFor(_ what: String, seconds: Double = 240, _ done: (String) -> Bool) throws -> String {
        let deadline = Date(timeIntervalSinceNow: seconds)
        var screen = ""
        while Date() < deadline {
            screen = tmux?.capture() ?? ""
            if done(screen) { return screen }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TmuxSession.Failure("timed out waiting for \(what); the screen:\n\(screen)")
    }

    func testProgressCancelAndALastingResult() throws {
        let binary = EditorEndToEndTests.binary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            return XCTFail("\(binary.path) is missing: build the samterm product first (swift build)")
        }
        let checkpoint = EditorEndToEndTests.fixtures.appendingPathComponent("tiny_sam2.1.pt")
        let command = "cd '\(folder.path)' && env LC_ALL=C.UTF-8 XDG_CACHE_HOME='\(folder.path)/cache' "
            + "XDG_CONFIG_HOME='\(folder.path)/config' "
            + "'\(binary.path)' edit wide.png --checkpoint '\(checkpoint.path)' --device cpu --renderer truecolor; sleep 60"
        let session = try TmuxSession(command: command, columns: 140, rows: 40)
        tmux = session
        try waitFor("the model and the image's encoding") { EditorEndToEndTests.isIdle($0) && $0.contains("wide.png") }

        try session.send("A")
        try waitFor("the question") { $0.contains("Find every object? ~1024 points, about a minute on the CPU — y/n") }
        try session.send("y")
        // A run is 16 batches of 64 points: the count shows after the first, long before the end.
        try waitFor("progress") { $0.range(of: #"Finding objects: [1-9][0-9]*/1024 points, ~[0-9]+ (s|min) left"#, options: .regularExpression) != nil }
        try session.send("Escape")
        try waitFor("the cancel") { $0.contains("Automatic masks cancelled") }

        // Lower the thresholds once, run to the end: the answer stays after another key.
        try session.send("t")
        try waitFor("the new thresholds") { $0.contains("Automatic thresholds: IoU 0.70, stability 0.90") }
        try session.send("A", "y")
        let result = try waitFor("the result") { $0.contains("Automatic: ") }
        try session.send("l")
        let after = try waitFor("the cursor step") { $0 != result }
        XCTAssertTrue(after.contains("Automatic: ") && after.contains("IoU") && after.contains("0.70"), after)
    }
}
