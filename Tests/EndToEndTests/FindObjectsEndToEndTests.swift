// `A` with the real binary and the tiny fixture model in tmux (its run takes tens of seconds on
// the CPU): the question first, progress counted in points, Esc cancelling, and a result line
// that outlives the next key.
import XCTest
import Foundation

final class FindObjectsEndToEndTests: EditorTmuxTestCase {
    func testProgressCancelAndALastingResult() throws {
        let session = try startEditor(columns: 140, rows: 40)
        try session.waitFor("the model and the image's encoding", seconds: 240) { EditorEndToEndTests.isIdle($0) && $0.contains("wide.png") }

        try session.send("A")
        try session.waitFor("the question", seconds: 240) { $0.contains("Find every object? ~1024 points, about a minute on the CPU — y/n") }
        try session.send("y")
        // A run is 16 batches of 64 points: the count shows after the first, long before the end.
        try session.waitFor("progress", seconds: 240) { $0.range(of: #"Finding objects: [1-9][0-9]*/1024 points, ~[0-9]+ (s|min) left"#, options: .regularExpression) != nil }
        try session.send("Escape")
        try session.waitFor("the cancel", seconds: 240) { $0.contains("Automatic masks cancelled") }

        // Lower the thresholds once, run to the end: the answer stays after another key.
        try session.send("t")
        try session.waitFor("the new thresholds", seconds: 240) { $0.contains("Automatic thresholds: IoU 0.70, stability 0.90") }
        try session.send("A", "y")
        let result = try session.waitFor("the result", seconds: 240) { $0.contains("Automatic: ") }
        try session.send("l")
        let after = try session.waitFor("the cursor step", seconds: 240) { $0 != result }
        XCTAssertTrue(after.contains("Automatic: ") && after.contains("IoU") && after.contains("0.70"), after)
    }
}
