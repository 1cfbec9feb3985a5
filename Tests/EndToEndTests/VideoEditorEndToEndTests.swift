// The editor on a video in tmux (the tiny SAM 2.1 video fixture model, its 10-frame clip): a
// click, tracking forward, a correction on frame 5 that makes the later frames stale, tracking
// again; the saved masks are what a VideoTracker running the same operations returns, and
// reopening shows them without tracking again and leaves the session as it was.
import XCTest
import Foundation
import Segmentation

final class VideoEditorEndToEndTests: XCTestCase {
    static let fixtures = EditorEndToEndTests.repositoryRoot.appendingPathComponent("Tests/Fixtures/video")
    private var folder: URL!
    private var tmux: TmuxSession?

    private var sessionPath: String { folder.appendingPathComponent("clip.samterm-video.json").path }
    private var exitStatus: URL { folder.appendingPathComponent("exit-status") }

    override func setUpWithError() throws {
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-video-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("frames"), to: folder.appendingPathComponent("clip"))
    }

    override func tearDownWithError() throws {
        tmux?.kill()
        try? FileManager.default.removeItem(at: folder)
    }

    private func startEditor() throws -> TmuxSession {
        try? FileManager.default.removeItem(at: exitStatus)
        let checkpoint = Self.fixtures.appendingPathComponent("tiny_video_sam2.1.pt")
        let command = "cd '\(folder.path)' && env LC_ALL=C.UTF-8 XDG_CACHE_HOME='\(folder.path)/cache' XDG_CONFIG_HOME='\(folder.path)/config' "
            + "'\(EditorEndToEndTests.binary.path)' edit clip --video --checkpoint '\(checkpoint.path)' --device cpu --renderer truecolor"
            + "; echo $? > exit-status; sleep 60"
        let session = try TmuxSession(command: command, columns: 120, rows: 40)
        tmux = session
        try session.waitFor("the model") { $0.contains("sam2.1_test_tiny") && $0.contains("frame 1/10") }
        return session
    }

    private func saved(_ what: String, _ done: (VideoSession) -> Bool) throws -> VideoSession {
        let deadline = Date(timeIntervalSinceNow: 90)
        while true {
            if let session = try? VideoSession.load(path: sessionPath, frames: 10, width: 80, height: 60), done(session) { return session }
            guard Date() < deadline else { throw TmuxSession.Failure("timed out waiting for \(what); the screen:\n\(tmux?.capture() ?? "")") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    private func quit(_ session: TmuxSession) throws {
        try session.send("q")
        let screen = try session.waitFor("the quit question or the exit") {
            $0.contains("quit? (y/n)") || FileManager.default.fileExists(atPath: self.exitStatus.path)
        }
        if screen.contains("quit? (y/n)") { try session.send("y") }
        _ = try session.waitFor("the exit") { _ in FileManager.default.fileExists(atPath: self.exitStatus.path) }
        XCTAssertEqual(try String(contentsOf: exitStatus, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), "0")
        tmux?.kill()
    }

    /// Each frame's masks after the operations, as a VideoTracker returns them (the last answer for each frame).
    private func tracked(_ operations: [VideoOperation]) throws -> [Int: [Int: (counts: String, score: Float)]] {
        let frames = try FrameFolder(path: folder.appendingPathComponent("clip").path)
        let model = try Model(path: Self.fixtures.appendingPathComponent("tiny_video_sam2.1.pt").path, device: .cpu)
        let tracker = try VideoTracker(model: model, frameCount: frames.frameCount, width: frames.width, height: frames.height,
                                       options: .samterm, readFrame: { try frames.frame(at: $0) })
        var masks: [Int: [Int: (counts: String, score: Float)]] = [:]
        func keep(_ frame: VideoFrameMasks) {
            for object in frame.objects where object.hasOutput {
                masks[frame.frame, default: [:]][object.id] = (RLE(mask: object.mask).compressedString, object.score)
            }
        }
        for operation in operations {
            switch operation {
            case .prompt(let frame, let object, let points, let box):
                keep(try tracker.addPoints(frame: frame, object: object, points: points.map { ($0.x, $0.y, $0.label == .foreground) },
                                           box: box.map { ($0.x0, $0.y0, $0.x1, $0.y1) }))
            case .propagate(let from, let reverse, let maxFrames):
                try tracker.propagate(from: from, maxFrames: maxFrames, reverse: reverse) { keep($0); return true }
            }
        }
        return masks
    }

    func testClickTrackCorrectTrackAgainAndReopenWithoutTracking() throws {
        let session = try startEditor()
        try session.send("Space")
        _ = try saved("the click's mask") { $0.masks.count == 1 }
        try session.send("t")
        try session.waitFor("the propagation") { $0.contains("Tracked 10 frames") }
        try session.send(">", ">", ">", ">", ">")
        try session.waitFor("frame 6") { $0.contains("frame 6/10") && !$0.contains("Loading") }
        try session.send("l", "l", "l", "x")
        let corrected = try saved("the correction") { $0.operations.count == 3 }
        XCTAssertEqual(corrected.masks.filter(\.stale).map(\.frame), [6, 7, 8, 9], "the frames after the correction are stale")
        try session.waitFor("the correction's answer") { !$0.contains("tracking") }
        try session.send("t")
        try session.waitFor("the second propagation") { $0.contains("Tracked 5 frames") }
        let final = try saved("the second propagation") { $0.operations.count == 4 && !$0.masks.contains(where: \.stale) }
        try quit(session)

        guard case .prompt(0, 1, let points, nil) = final.operations[0], points.count == 1,
              final.operations[1] == .propagate(from: 0, reverse: false, maxFrames: nil),
              case .prompt(5, 1, let corrections, nil) = final.operations[2], corrections.map(\.label) == [.background],
              final.operations[3] == .propagate(from: 5, reverse: false, maxFrames: nil) else {
            return XCTFail("operations: \(final.operations)")
        }
        let expected = try tracked(final.operations)
        XCTAssertEqual(final.masks.map(\.frame), Array(0..<10))
        for mask in final.masks {
            let reference = try XCTUnwrap(expected[mask.frame]?[mask.object], "frame \(mask.frame)")
            XCTAssertEqual(mask.counts, reference.counts, "frame \(mask.frame): the editor's mask is the tracker's")
            XCTAssertEqual(mask.score, reference.score, "frame \(mask.frame)")
        }

        // Reopened: the masks show at once, nothing is tracked, the session stays as it was.
        let before = try Data(contentsOf: URL(fileURLWithPath: sessionPath))
        let reopened = try startEditor()
        let screen = try reopened.waitFor("the timeline") { $0.contains("◆") }
        XCTAssertFalse(screen.contains("tracking"), screen)
        XCTAssertTrue(screen.contains("  1  ◆"), screen)
        try quit(reopened)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: sessionPath)), before)
    }

    /// Mistakes are refused before the terminal is touched: by argument (exit 2) or by file (exit 1).
    func testMistakesAreRefusedByName() throws {
        let checkpoint = Self.fixtures.appendingPathComponent("tiny_video_sam2.1.pt").path
        let clip = folder.appendingPathComponent("clip").path
        let two = try SamtermRun.run(["edit", clip, clip, "--video", "--checkpoint", checkpoint])
        XCTAssertEqual(two.status, 2)
        XCTAssertTrue(two.errors.contains("--video: give one video file or one folder of frames (got 2 inputs)"), two.errors)

        let damaged = folder.appendingPathComponent("damaged.mp4").path
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: damaged))
        let bad = try SamtermRun.run(["edit", damaged, "--checkpoint", checkpoint])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.errors.contains(damaged), bad.errors)

        let other = VideoSession(source: clip, frames: 3, width: 80, height: 60, model: "sam2.1_test_tiny")
        try other.save(to: sessionPath)
        let mismatch = try SamtermRun.run(["edit", clip, "--video", "--checkpoint", checkpoint])
        XCTAssertEqual(mismatch.status, 1)
        XCTAssertTrue(mismatch.errors.contains(sessionPath + ": the session is of 3 frames of 80x60; the video has 10 of 80x60"),
                      mismatch.errors)
        XCTAssertEqual(try VideoSession.load(path: sessionPath, frames: 3, width: 80, height: 60), other, "left as it was")
    }
}
