// The video tracker (the engine's sam_video_*, SAM2VideoPredictor's semantics) against the
// official predictor on a tiny random-weight SAM 2.1 model: two objects prompted on the first
// frame (a click, a box), propagated forward, a correction on frame 6 and propagation from
// there, a mask prompt and an empty mask prompt for two new objects on frame 8 and
// propagation backward. Every frame's low-resolution logits of every object the step ran
// within 1e-3, object scores within 1e-4, masks at the video's size with IoU >= 0.999; the same
// on a tiny SAM 2.0 model.
// Fixtures: Tests/Fixtures/video and video-sam2.0, made by tools/make_video_fixtures.py.

import Foundation
import Segmentation
import XCTest

final class VideoParityTests: XCTestCase {
    private struct Steps: Decodable {
        let model: String
        let frames: Int
        let width: Int
        let height: Int
        let logits_sample: LogitsSample
        let steps: [Step]
        let events: [Event]
    }

    private struct Step: Decodable {
        let kind: String
        let frame_idx: Int?
        let obj_id: Int?
        let points: [[Float]]?
        let labels: [Int]?
        let box: [Float]?
        let clear_old_points: Bool?
        let mask: String?
        let start_frame_idx: Int?
        let reverse: Bool?
    }

    private struct Event: Decodable {
        let name: String
        let step: Int
        let frame: Int
        let objects: [Int]
        let ran: [Int]
    }

    /// The SAM 2.1 fixture; the SAM 2.0 test switches to Tests/Fixtures/video-sam2.0.
    private var fixture = ParityFixture("video")

    private func frame(_ index: Int) throws -> RGBImage {
        let array = try NumpyArray.read(path: fixture.path("frame_\(index).npy"))
        return RGBImage(width: array.shape[1], height: array.shape[0], pixels: try XCTUnwrap(array.bytes))
    }

    private func loadSteps() throws -> Steps {
        try JSONDecoder().decode(Steps.self, from: Data(contentsOf: URL(fileURLWithPath: fixture.path("steps.json"))))
    }

    private func tracker(_ steps: Steps, budget: Int = 1 << 30, resident: Int? = 16, reads: Counter? = nil,
                         cache: VideoTracker.FeatureCache? = nil) throws -> VideoTracker {
        let model = try Model(path: fixture.path(steps.model), device: .cpu)
        var options = VideoTracker.Options()
        options.correctionsAsConditioning = true
        options.nonOverlappingMasks = true
        options.featureBudgetBytes = budget
        options.residentFrames = resident
        options.featureCache = cache
        return try VideoTracker(model: model, frameCount: steps.frames, width: steps.width, height: steps.height,
                                options: options, readFrame: { reads?.count += 1; return try self.frame($0) })
    }

    private final class Counter { var count = 0 }

    /// Runs the fixture's steps (the first `limit`), returning every frame the tracker handed back, in order.
    private func run(_ steps: Steps, on tracker: VideoTracker, limit: Int = .max) throws -> [(step: Int, masks: VideoFrameMasks)] {
        var results: [(step: Int, masks: VideoFrameMasks)] = []
        for (index, step) in steps.steps.prefix(limit).enumerated() {
            switch step.kind {
            case "points_or_box":
                let points = zip(step.points ?? [], step.labels ?? []).map { (x: $0[0], y: $0[1], foreground: $1 == 1) }
                let box = step.box.map { ($0[0], $0[1], $0[2], $0[3]) }
                results.append((index, try tracker.addPoints(frame: step.frame_idx!, object: step.obj_id!, points: points,
                                                             box: box, replacing: step.clear_old_points ?? true)))
            case "mask":
                var mask = BinaryMask(width: steps.width, height: steps.height)
                if step.mask != "empty" {
                    let array = try NumpyArray.read(path: fixture.path(try XCTUnwrap(step.mask)))
                    mask = BinaryMask(width: array.shape[1], height: array.shape[0], bytes: try XCTUnwrap(array.bytes))
                }
                results.append((index, try tracker.addMask(frame: step.frame_idx!, object: step.obj_id!, mask: mask)))
            case "propagate":
                try tracker.propagate(from: step.start_frame_idx, reverse: step.reverse ?? false) { masks in
                    results.append((index, masks))
                    return true
                }
            default:
                XCTFail("unknown step \(step.kind)")
            }
        }
        return results
    }

    func testEveryStepMatchesTheOfficialVideoPredictor() throws {
        try checkEveryStep()
    }

    /// SAM 2.0's memory (no no_obj_embed_spatial, object pointers without projected temporal
    /// encodings), the same clip and steps.
    func testEveryStepMatchesTheOfficialVideoPredictorOnSAM2_0() throws {
        fixture = ParityFixture("video-sam2.0")
        let steps = try loadSteps()
        XCTAssertEqual(try Model(path: fixture.path(steps.model), device: .cpu).name, "sam2_test_tiny")
        try checkEveryStep()
    }

    private func checkEveryStep() throws {
        let steps = try loadSteps()
        let results = try run(steps, on: try tracker(steps))
        XCTAssertEqual(results.count, steps.events.count, "frames handed back")
        let sample = steps.logits_sample
        var worstLogit: Float = 0, worstScore: Float = 0, worstIoU = 1.0, flippedDecided = 0, undecided = 0
        for (event, result) in zip(steps.events, results) {
            XCTAssertEqual(result.step, event.step, event.name)
            XCTAssertEqual(result.masks.frame, event.frame, event.name)
            XCTAssertEqual(result.masks.objects.map(\.id), event.objects, event.name)
            let lowRes = try NumpyArray.read(path: fixture.path("\(event.name)_lowres.npy"))
            let scores = try XCTUnwrap(try NumpyArray.read(path: fixture.path("\(event.name)_scores.npy")).floats)
            let expectedLogits = lowRes.floats ?? []
            let side = result.masks.lowResSize
            let k = event.ran.isEmpty ? 0 : lowRes.shape[1]
            for (n, id) in event.ran.enumerated() {
                let object = try XCTUnwrap(result.masks.objects.first { $0.id == id }, event.name)
                for row in 0..<k {
                    for column in 0..<k {
                        let ours = object.lowResLogits[(sample.start + row * sample.step) * side + sample.start + column * sample.step]
                        let theirs = expectedLogits[(n * k + row) * k + column]
                        worstLogit = max(worstLogit, abs(ours - theirs))
                    }
                }
                worstScore = max(worstScore, abs(object.score - scores[n]))
            }
            // Bit 0: the reference's mask; bit 1: a pixel a logit difference within the tolerance
            // may flip (its logit, or the margin between the two highest objects, is within 1e-3).
            let video = try NumpyArray.read(path: fixture.path("\(event.name)_video.npy"))
            XCTAssertEqual(video.shape, [event.objects.count, steps.height, steps.width], event.name)
            let expectedMasks = try XCTUnwrap(video.bytes)
            let pixels = steps.width * steps.height
            for (n, object) in result.masks.objects.enumerated() where n < event.objects.count {
                XCTAssertEqual(object.mask.bytes.count, pixels, event.name)
                guard object.mask.bytes.count == pixels else { continue }
                var inter = 0, union = 0, decidedInter = 0, decidedUnion = 0
                for p in 0..<pixels {
                    let expected = expectedMasks[n * pixels + p]
                    let a = object.mask.bytes[p] != 0, b = expected & 1 != 0, decided = expected & 2 == 0
                    if a && b { inter += 1; if decided { decidedInter += 1 } }
                    if a || b { union += 1; if decided { decidedUnion += 1 } }
                    if decided && a != b { flippedDecided += 1 }
                    if !decided { undecided += 1 }
                }
                worstIoU = min(worstIoU, union == 0 ? 1.0 : Double(inter) / Double(union))
                let iou = decidedUnion == 0 ? 1.0 : Double(decidedInter) / Double(decidedUnion)
                XCTAssertGreaterThanOrEqual(iou, 0.999, "\(event.name) object \(object.id): IoU \(iou) over decided pixels")
            }
        }
        XCTAssertLessThanOrEqual(worstLogit, 1e-3, "largest low-res logit difference")
        XCTAssertLessThanOrEqual(worstScore, 1e-4, "largest object score difference")
        print("video parity: \(results.count) frames, logits within \(worstLogit), scores within \(worstScore), "
              + "worst IoU \(worstIoU) over all pixels, \(flippedDecided) decided pixels differ, \(undecided) undecided")
    }

    /// A budget too small for one frame's features: each frame is read again when it is needed
    /// again (the correction on frame 6), and the frames come out the same as with room for all.
    func testFeaturesBeyondTheBudgetAreComputedAgainWithTheSameResults() throws {
        let steps = try loadSteps()
        let roomy = Counter(), tight = Counter()
        let withRoom = try tracker(steps, reads: roomy)
        let expected = try run(steps, on: withRoom, limit: 5)
        XCTAssertGreaterThan(withRoom.stats.featureBytes, 0)
        let withBudget = try tracker(steps, budget: 1, reads: tight)
        let results = try run(steps, on: withBudget, limit: 5)
        XCTAssertEqual(roomy.count, steps.frames, "with room, each frame is read once")
        XCTAssertGreaterThan(tight.count, steps.frames, "frame 6 is read again for its correction")
        XCTAssertLessThan(withBudget.stats.featureBytes, withRoom.stats.featureBytes)
        XCTAssertEqual(results.count, expected.count)
        for (a, b) in zip(results, expected) {
            XCTAssertEqual(a.masks.frame, b.masks.frame)
            XCTAssertEqual(a.masks.objects.map(\.mask), b.masks.objects.map(\.mask), "frame \(a.masks.frame)")
            XCTAssertEqual(a.masks.objects.map(\.lowResLogits), b.masks.objects.map(\.lowResLogits), "frame \(a.masks.frame)")
        }
    }

    /// With a cache folder, frames pushed out of memory are written there and read back instead of
    /// being encoded again, by this tracker (the correction on frame 6) and by the next one on the
    /// same frames; the results keep every bit. Another key reads nothing back, and a damaged
    /// file is encoded over.
    func testFeaturesBeyondTheBudgetComeBackFromTheCacheFolder() throws {
        let steps = try loadSteps()
        let folder = NSTemporaryDirectory() + "samterm-video-cache-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = VideoTracker.FeatureCache(folder: folder, key: "clip-1", byteBudget: 1 << 30)
        let expected = try run(steps, on: try tracker(steps), limit: 5)
        func check(_ results: [(step: Int, masks: VideoFrameMasks)], _ label: String) {
            XCTAssertEqual(results.count, expected.count, label)
            for (a, b) in zip(results, expected) {
                XCTAssertEqual(a.masks.objects.map(\.score), b.masks.objects.map(\.score), "\(label) frame \(a.masks.frame)")
                XCTAssertEqual(a.masks.objects.map(\.lowResLogits), b.masks.objects.map(\.lowResLogits), "\(label) frame \(a.masks.frame)")
            }
        }

        let reads = Counter()
        let first = try tracker(steps, budget: 1, reads: reads, cache: cache)
        check(try run(steps, on: first, limit: 5), "first")
        XCTAssertEqual(first.stats.framesEncoded, steps.frames, "each frame encoded once")
        XCTAssertEqual(reads.count, steps.frames, "no frame decoded twice")
        XCTAssertGreaterThan(first.stats.framesReadBack, 0, "frame 6 came back from the folder for its correction")
        XCTAssertGreaterThan(first.stats.cacheBytesWritten, 0)

        let second = try tracker(steps, budget: 1, cache: cache)
        check(try run(steps, on: second, limit: 5), "second")
        XCTAssertLessThanOrEqual(second.stats.framesEncoded, 1, "only the frame the first tracker held at its end")

        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".embedding") }
        XCTAssertGreaterThanOrEqual(files.count, steps.frames - 1)
        try Data("SAMEMBED garbage".utf8).write(to: URL(fileURLWithPath: folder + "/clip-1-3.embedding"))
        var otherKey = cache
        otherKey.key = "clip-2"
        let third = try tracker(steps, budget: 1, cache: otherKey)
        check(try run(steps, on: third, limit: 5), "other key")
        XCTAssertEqual(third.stats.framesEncoded, steps.frames, "another key's files are not read")
        let fourth = try tracker(steps, budget: 1, cache: cache)
        check(try run(steps, on: fourth, limit: 5), "damaged file")
        XCTAssertGreaterThanOrEqual(fourth.stats.framesEncoded, 1, "the damaged frame is encoded again")

        var small = cache
        small.key = "clip-3"
        small.byteBudget = 1
        let fifth = try tracker(steps, budget: 1, cache: small)
        _ = try run(steps, on: fifth, limit: 3)
        XCTAssertEqual(fifth.stats.cacheBytesWritten, 0, "nothing fits a 1-byte budget")
    }

    /// Outputs kept on disk beyond one frame from the frame tracked (every propagation step then
    /// reads memories back, a correction and backward tracking too) give the same bits as all in memory.
    func testOutputsSpilledToDiskComeBackBitForBit() throws {
        let steps = try loadSteps()
        let inMemory = try tracker(steps, resident: nil), onDisk = try tracker(steps, resident: 1)
        let expected = try run(steps, on: inMemory)
        let results = try run(steps, on: onDisk)
        XCTAssertEqual(inMemory.stats.spilledBytes, 0)
        XCTAssertGreaterThan(onDisk.stats.spilledBytes, 0, "old outputs went to the disk")
        XCTAssertEqual(results.count, expected.count)
        for (a, b) in zip(results, expected) {
            XCTAssertEqual(a.masks.frame, b.masks.frame)
            XCTAssertEqual(a.masks.objects.map(\.score), b.masks.objects.map(\.score), "frame \(a.masks.frame)")
            XCTAssertEqual(a.masks.objects.map(\.lowResLogits), b.masks.objects.map(\.lowResLogits), "frame \(a.masks.frame)")
            XCTAssertEqual(a.masks.objects.map(\.mask), b.masks.objects.map(\.mask), "frame \(a.masks.frame)")
        }
    }
}
