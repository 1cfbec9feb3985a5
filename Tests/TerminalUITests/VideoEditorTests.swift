// The editor on a video, in the pure state: prompts go to the tracker as operations, frames step,
// propagation reports frame by frame and can be stopped, corrections make later frames stale,
// undo takes back a prompt or a whole propagation, the timeline draws it, sessions round trip.
import XCTest
import Segmentation
@testable import TerminalUI

final class VideoEditorTests: XCTestCase {
    typealias F = EditorFixtures
    static let frames = 12

    private func videoState() -> EditorState {
        let timeline = VideoTimeline(source: "/clips/walk.mp4", frameCount: Self.frames, width: 80, height: 40)
        let names = (0..<Self.frames).map { "/clips/walk.mp4#\($0)" }
        var state = EditorState(video: timeline, frameNames: names, terminal: TerminalSize(columns: 100, rows: 30), setup: F.setup)
        _ = state.apply(.modelLoaded(name: "sam2.1_hiera_t", device: "cpu"))
        _ = state.apply(.imageLoaded(index: 0, image: F.gradient(width: 80, height: 40)))
        return state
    }

    /// The worker's answer to opening the frame now on screen.
    private func show(_ state: inout EditorState) {
        _ = state.apply(.imageLoaded(index: state.currentImage, image: F.gradient(width: 80, height: 40)))
    }

    private func requests(_ effects: [EditorEffect]) -> [VideoRequest] {
        effects.compactMap { if case .video(let request) = $0 { return request } else { return nil } }
    }

    private func savedSessions(_ effects: [EditorEffect]) -> [VideoSession] {
        effects.compactMap { if case .saveVideo(_, let session) = $0 { return session } else { return nil } }
    }

    /// The left `columns` columns of the frame, as the tracker would hand them over.
    private func masks(object: Int = 1, columns: Int, score: Float = 3) -> [VideoObjectMask] {
        var mask = BinaryMask(width: 80, height: 40)
        for y in 0..<40 { for x in 0..<columns { mask[x, y] = true } }
        return [VideoObjectMask(id: object, rle: RLE(mask: mask), score: score)]
    }

    /// A click on frame 0 answered, then propagation forward answered for every frame.
    private func trackedState() throws -> EditorState {
        var state = videoState()
        let click = try XCTUnwrap(requests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.videoFrame(requestID: click.id, frame: 0, objects: masks(columns: 20)))
        _ = state.apply(.videoFinished(requestID: click.id, framesDone: 1, cancelled: false))
        let run = try XCTUnwrap(requests(F.press([.character("t")], on: &state)).first)
        for frame in 0..<Self.frames { _ = state.apply(.videoFrame(requestID: run.id, frame: frame, objects: masks(columns: 10 + frame))) }
        _ = state.apply(.videoFinished(requestID: run.id, framesDone: Self.frames, cancelled: false))
        return state
    }

    func testAClickIsAPromptOperationAndItsAnswerShowsOnTheFrame() throws {
        var state = videoState()
        let effects = F.press([.character(" ")], on: &state)
        let request = try XCTUnwrap(requests(effects).first)
        guard case .prompt(let frame, let object, let points, let box)? = request.operations.last else { return XCTFail("a prompt") }
        XCTAssertEqual(request.operations.count, 1)
        XCTAssertEqual([frame, object], [0, 1])
        XCTAssertEqual(points.count, 1)
        XCTAssertEqual(points.first?.label, .foreground)
        XCTAssertNil(box)
        XCTAssertTrue(F.predictRequests(effects).isEmpty, "the image predictor is not asked")
        XCTAssertEqual(state.video?.pendingPrompt, request.id)

        _ = state.apply(.videoFrame(requestID: request.id, frame: 0, objects: masks(columns: 20)))
        let finished = state.apply(.videoFinished(requestID: request.id, framesDone: 1, cancelled: false))
        XCTAssertNil(state.video?.pendingPrompt)
        XCTAssertEqual(savedSessions(finished).last?.masks.map(\.frame), [0], "the answer is saved at once")
        let shown = try XCTUnwrap(state.currentObject?.mask)
        XCTAssertEqual(shown.bytes.filter { $0 != 0 }.count, 20 * 40, "the frame's mask is the object's")
        XCTAssertEqual(state.currentObject?.prompting.points.count, 1, "the frame's prompt is drawn")

        // A second click replaces the object's prompt on the frame with both points.
        F.press([.right, .right, .character("x")], on: &state)
        guard case .prompt(_, _, let both, _)? = state.video?.operations.last else { return XCTFail("a prompt") }
        XCTAssertEqual(both.map(\.label), [.foreground, .background])
        XCTAssertEqual(state.video?.operations.count, 2)
    }

    func testPropagationReportsFramesAndEveryFrameShowsItsMask() throws {
        var state = try trackedState()
        let run = try XCTUnwrap(state.video?.operations.last)
        XCTAssertEqual(run, .propagate(from: 0, reverse: false, maxFrames: nil))
        XCTAssertNil(state.video?.propagation)
        XCTAssertTrue(state.message?.text.hasPrefix("Tracked 12 frames") == true, state.message?.text ?? "")
        F.press([.character(">"), .character(">"), .character(">")], on: &state)
        XCTAssertEqual(state.currentImage, 3)
        XCTAssertEqual(state.currentObject?.mask?.bytes.filter { $0 != 0 }.count, 13 * 40)
        F.press([.pageDown], on: &state)
        XCTAssertEqual(state.currentImage, 11, "ten on, within the clip")
        F.press([.pageUp, .pageUp], on: &state)
        XCTAssertEqual(state.currentImage, 0)
        let lines = TimelineView.lines(state, width: 60, height: 4).map(\.plainText)
        XCTAssertTrue(lines[0].hasPrefix("frame 1/12"), lines[0])
        XCTAssertEqual(lines[1], "  1  ◆███████████", "a score logit of 3 is a full bar")
    }

    func testACorrectionMakesTheLaterFramesStaleAndTrackingAgainClearsThem() throws {
        var state = try trackedState()
        F.press(Array(repeating: .character(">"), count: 5), on: &state)
        show(&state)
        let correction = try XCTUnwrap(requests(F.press([.character("x")], on: &state)).first)
        XCTAssertEqual(correction.operations.count, 3, "click, propagation, correction: the tracker's memory follows the order")
        let stale = (0..<Self.frames).filter { state.video?.masks[$0]?[1]?.stale == true }
        XCTAssertEqual(stale, Array(6..<Self.frames))
        _ = state.apply(.videoFinished(requestID: correction.id, framesDone: 1, cancelled: false))
        let run = try XCTUnwrap(requests(F.press([.character("t")], on: &state)).first)
        XCTAssertEqual(state.video?.propagation?.total, 7)
        for frame in 5..<Self.frames { _ = state.apply(.videoFrame(requestID: run.id, frame: frame, objects: masks(columns: 30))) }
        _ = state.apply(.videoFinished(requestID: run.id, framesDone: 7, cancelled: false))
        XCTAssertTrue((0..<Self.frames).allSatisfy { state.video?.masks[$0]?[1]?.stale == false })
    }

    func testEscStopsTrackingAndTheOperationKeepsTheFramesItTracked() throws {
        var state = try trackedState()
        F.press([.character("u")], on: &state)  // the propagation, taken back
        XCTAssertEqual(state.video?.masks.keys.sorted(), [0])
        let run = try XCTUnwrap(requests(F.press([.character("t")], on: &state)).first)
        for frame in 0..<4 { _ = state.apply(.videoFrame(requestID: run.id, frame: frame, objects: masks(columns: 5))) }
        let stop = F.press([.escape], on: &state)
        XCTAssertTrue(stop.contains { if case .cancelVideo = $0 { return true } else { return false } })
        XCTAssertTrue(F.press([.character(" ")], on: &state).isEmpty, "no prompt while tracking")
        _ = state.apply(.videoFinished(requestID: run.id, framesDone: 4, cancelled: true))
        XCTAssertEqual(state.video?.operations.last, .propagate(from: 0, reverse: false, maxFrames: 3))
        XCTAssertEqual(VideoOperation.propagate(from: 0, reverse: false, maxFrames: nil).stopped(after: 4, frameCount: 12),
                       .propagate(from: 0, reverse: false, maxFrames: 3), "the worker keeps it the same way")
        XCTAssertTrue(state.message?.text.hasPrefix("Stopped after 4 frames") == true)
    }

    func testUndoTakesBackAWholePropagationAndRedoBringsItBack() throws {
        var state = try trackedState()
        F.press([.character(">")], on: &state)
        let effects = F.press([.character("u")], on: &state)
        XCTAssertTrue(requests(effects).isEmpty, "the tracker is brought back with the next request")
        XCTAssertEqual(state.video?.operations.count, 1)
        XCTAssertNil(state.currentObject?.mask, "frame 1 has no mask before the propagation")
        XCTAssertEqual(savedSessions(effects).last?.masks.count, 1)
        F.press([.control("r")], on: &state)
        XCTAssertEqual(state.video?.operations.count, 2)
        XCTAssertEqual(state.currentObject?.mask?.bytes.filter { $0 != 0 }.count, 11 * 40)
        // The next prompt carries every operation: the worker replays them when its memory differs.
        F.press([.character("u"), .character("u")], on: &state)
        XCTAssertEqual(state.video?.operations.count, 0)
        show(&state)
        let click = try XCTUnwrap(requests(F.press([.character(" ")], on: &state)).first)
        XCTAssertEqual(click.operations.count, 1)
    }

    func testBackwardTrackingNewObjectsAndWhatAVideoDoesNotDo() throws {
        var state = try trackedState()
        F.press([.character("n")], on: &state)
        XCTAssertEqual(state.video?.currentObjectID, 2)
        XCTAssertEqual(state.document.objects.map(\.id), [1, 2])
        F.press([.character("n")], on: &state)
        XCTAssertEqual(state.video?.tracks.count, 2, "no second empty object")
        F.press([.pageDown], on: &state)
        show(&state)
        let click = try XCTUnwrap(requests(F.press([.character(" ")], on: &state)).first)
        guard case .prompt(10, 2, _, _)? = click.operations.last else { return XCTFail("object 2 on frame 10") }
        _ = state.apply(.videoFinished(requestID: click.id, framesDone: 1, cancelled: false))
        let back = try XCTUnwrap(requests(F.press([.character("T")], on: &state)).first)
        XCTAssertEqual(back.operations.last, .propagate(from: 10, reverse: true, maxFrames: nil))
        XCTAssertEqual(state.video?.propagation?.total, 11)
        _ = state.apply(.videoFailed(requestID: back.id, message: "out of memory"))
        XCTAssertNil(state.video?.propagation)
        XCTAssertEqual(state.video?.operations.count, 3, "a failed propagation is taken back")
        XCTAssertEqual(state.message?.isError, true)
        F.press([.character("A")], on: &state)
        XCTAssertTrue(state.message?.text.hasPrefix("Not in a video") == true, state.message?.text ?? "")
        F.press([.character("e")], on: &state)
        XCTAssertTrue(state.message?.text.hasSuffix("with: samterm export /clips/walk.mp4 --out DIR") == true, state.message?.text ?? "")
    }

    func testTheSessionRoundTripsAndAnotherModelsSessionIsNotSavedOver() throws {
        let state = try trackedState()
        let session = try XCTUnwrap(state.video?.session(model: "sam2.1_hiera_t"))
        XCTAssertEqual(session.masks.count, Self.frames)
        let folder = NSTemporaryDirectory() + "samterm-video-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/walk.mp4.samterm-video.json"
        try session.save(to: path)
        let loaded = try XCTUnwrap(try VideoSession.load(path: path, frames: Self.frames, width: 80, height: 40))
        XCTAssertEqual(loaded, session)
        let timeline = try VideoTimeline(session: loaded)
        XCTAssertEqual(timeline.operations, state.video?.operations)
        XCTAssertEqual(timeline.masks[7]?[1]?.rle, state.video?.masks[7]?[1]?.rle)
        XCTAssertEqual(timeline.prompts[0]?[1]?.points, state.video?.prompts[0]?[1]?.points)
        XCTAssertThrowsError(try VideoSession.load(path: path, frames: 13, width: 80, height: 40)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path + ": the session is of 12 frames"), "\(error)")
        }
        try Data("{\"frames\": 3".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try VideoSession.load(path: path, frames: Self.frames, width: 80, height: 40)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path + ": not a samterm video session"), "\(error)")
        }

        var reopened = EditorState(video: timeline, frameNames: (0..<Self.frames).map { "walk#\($0)" },
                                   terminal: TerminalSize(columns: 100, rows: 30), setup: F.setup)
        _ = reopened.apply(.modelLoaded(name: "sam2.1_hiera_l", device: "cpu"))
        XCTAssertEqual(reopened.message?.isError, true)
        XCTAssertNotNil(reopened.video?.savingRefused)
        XCTAssertTrue(reopened.saveVideo().isEmpty, "another model's session is not written over")
    }

    func testAVideoOpenInAnotherSamtermIsShownButNeverSaved() throws {
        var state = videoState()
        state.videoIsReadOnly("read-only: the video is open in another samterm (pid 7 on box); changes are not saved")
        XCTAssertEqual(state.message?.isError, true)
        let header = TimelineView.header(state, try XCTUnwrap(state.video), width: 100).map(\.text).joined()
        XCTAssertTrue(header.hasPrefix("frame 1/12  not saved"), header)
        let click = F.press([.character(" ")], on: &state)
        XCTAssertEqual(requests(click).count, 1, "the tracker still answers")
        XCTAssertTrue(savedSessions(click).isEmpty)
        _ = state.apply(.videoFrame(requestID: requests(click)[0].id, frame: 0, objects: masks(columns: 20)))
        XCTAssertTrue(savedSessions(state.apply(.videoFinished(requestID: requests(click)[0].id, framesDone: 1, cancelled: false))).isEmpty)
        _ = state.apply(.modelLoaded(name: "sam2.1_hiera_l", device: "cpu"))
        XCTAssertEqual(state.video?.savingRefused, "read-only: the video is open in another samterm (pid 7 on box); changes are not saved",
                       "the first reason stays")
    }
}
