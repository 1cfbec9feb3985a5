// The worker's side of a video on the real engine (the tiny SAM 2.1 video fixture model): each
// request's last operation reports what a VideoTracker running the same operations returns, and
// after an undo (operations that do not continue the ones run) the tracker is rebuilt from them.
import Foundation
import XCTest
import Segmentation
@testable import TerminalUI

final class VideoEditorWorkerTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/video")

    private func frames(of request: Int, in events: [EditorEvent]) -> [(frame: Int, objects: [VideoObjectMask])] {
        events.compactMap { event in
            if case .videoFrame(request, let frame, let objects) = event { return (frame, objects) }
            return nil
        }
    }

    private func finished(_ request: Int) -> ([EditorEvent]) -> Bool {
        { events in events.contains { if case .videoFinished(request, _, _) = $0 { return true } else { return false } } }
    }

    private func assertSame(_ shown: [VideoObjectMask], _ tracked: VideoFrameMasks, file: StaticString = #filePath, line: UInt = #line) {
        let expected = tracked.objects.filter(\.hasOutput)
        XCTAssertEqual(shown.map(\.id), expected.map(\.id), "frame \(tracked.frame)", file: file, line: line)
        for (object, reference) in zip(shown, expected) {
            XCTAssertEqual(object.rle, RLE(mask: reference.mask), "frame \(tracked.frame) object \(object.id)", file: file, line: line)
            XCTAssertEqual(object.score, reference.score, file: file, line: line)
        }
    }

    func testRequestsMatchTheTrackerAndAnUndoneOperationIsReplayedAway() throws {
        let model = try Model(path: Self.fixtures.appendingPathComponent("tiny_video_sam2.1.pt").path, device: .cpu)
        let source = try FrameFolder(path: Self.fixtures.appendingPathComponent("frames").path)
        let recorder = EventRecorder()
        var dependencies = PredictorWorker.Dependencies(
            loadEngine: { try SegmentationEngine(model: model) },
            loadImage: { _ in throw EditorError("not asked") }, export: { _ in [] },
            cache: nil, modelKey: { _ in "tiny" }, clock: { ProcessInfo.processInfo.systemUptime })
        dependencies.frames = source
        let worker = PredictorWorker(dependencies: dependencies, post: recorder.post)
        worker.start()
        defer {
            worker.stop()
            _ = worker.waitUntilIdle(timeout: 30)
        }

        let click = VideoOperation.prompt(frame: 0, object: 1, points: [PromptPoint(x: 40, y: 30, label: .foreground)], box: nil)
        let run = VideoOperation.propagate(from: 0, reverse: false, maxFrames: 3)
        let box = VideoOperation.prompt(frame: 2, object: 2, points: [], box: PromptBox(x0: 8, y0: 6, x1: 50, y1: 40))
        worker.submit(.video(VideoRequest(id: 1, operations: [click])))
        recorder.wait(until: finished(1))
        worker.submit(.video(VideoRequest(id: 2, operations: [click, run])))
        recorder.wait(until: finished(2))
        // An undo took the propagation back, and a box for a second object came instead.
        worker.submit(.video(VideoRequest(id: 3, operations: [click, box])))
        let events = recorder.wait(until: finished(3))

        func tracker() throws -> VideoTracker {
            try VideoTracker(model: model, frameCount: source.frameCount, width: source.width, height: source.height,
                             options: .samterm, readFrame: { try source.frame(at: $0) })
        }
        let reference = try tracker()
        let clicked = try reference.addPoints(frame: 0, object: 1, points: [(40, 30, true)])
        XCTAssertEqual(frames(of: 1, in: events).count, 1)
        assertSame(try XCTUnwrap(frames(of: 1, in: events).first).objects, clicked)
        var propagated: [VideoFrameMasks] = []
        try reference.propagate(from: 0, maxFrames: 3, reverse: false) { propagated.append($0); return true }
        let shown = frames(of: 2, in: events)
        XCTAssertEqual(shown.map(\.frame), [0, 1, 2, 3])
        for (frame, tracked) in zip(shown, propagated) { assertSame(frame.objects, tracked) }

        let fresh = try tracker()
        _ = try fresh.addPoints(frame: 0, object: 1, points: [(40, 30, true)])
        let boxed = try fresh.addPoints(frame: 2, object: 2, points: [], box: (8, 6, 50, 40))
        let third = try XCTUnwrap(frames(of: 3, in: events).first)
        XCTAssertEqual(third.objects.map(\.id), [2], "rebuilt without the propagation, object 1 has no mask on frame 2")
        assertSame(third.objects, boxed)
        XCTAssertTrue(events.contains { if case .videoRebuilding(3, 0, 1) = $0 { return true } else { return false } })
    }
}
