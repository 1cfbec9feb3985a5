// `A`'s background work made visible: progress with points and time left, `Esc` to cancel, a
// result line that stays, thresholds changed with `t`, and the question asked on the CPU.
import XCTest
import Foundation
import Segmentation
@testable import TerminalUI

final class FindingObjectsTests: XCTestCase {
    typealias F = EditorFixtures

    /// A loaded image on the CPU, with the model's thresholds known.
    private func state() -> EditorState {
        var state = F.loadedState()
        _ = state.apply(.automaticDefaults(.sam2Defaults))
        return state
    }

    /// `A` and the answer `y` to the CPU's question; the effect asked for.
    private func find(_ state: inout EditorState) -> (thresholds: AutomaticThresholds?, effects: [EditorEffect]) {
        XCTAssertTrue(F.press([.character("A")], on: &state).isEmpty, "the CPU asks first")
        XCTAssertEqual(state.mode, .confirmFindObjects)
        let effects = F.press([.character("y")], on: &state)
        guard case .findObjects(0, 80, 40, let thresholds)? = effects.first else {
            XCTFail("\(effects)")
            return (nil, effects)
        }
        return (thresholds, effects)
    }

    func testOnTheCPUAAsksBeforeStartingAMinuteOfWork() {
        var state = state()
        XCTAssertTrue(F.press([.character("A")], on: &state).isEmpty)
        XCTAssertEqual(Chrome.messageLine(state, width: 120).plainText,
                       " Find every object? ~1024 points, about a minute on the CPU — y/n")
        XCTAssertTrue(F.press([.character("n")], on: &state).isEmpty, "n: nothing runs")
        XCTAssertFalse(state.document.findingObjects)
        XCTAssertEqual(state.message?.text, "Not finding objects")
        XCTAssertEqual(find(&state).thresholds, .sam2Defaults)
        XCTAssertTrue(state.document.findingObjects)

        // On a GPU it starts at once.
        var gpu = F.loadedState()
        _ = gpu.apply(.modelLoaded(name: "sam2.1_hiera_t", device: "cuda"))
        guard case .findObjects? = F.press([.character("A")], on: &gpu).first else { return XCTFail("no run on the GPU") }
    }

    func testProgressShowsPointsDoneOfTotalAndTheTimeLeft() {
        var state = state()
        _ = find(&state)
        XCTAssertTrue(Chrome.activity(state).hasSuffix("Finding objects (Esc cancels)"), Chrome.activity(state))
        let progress = AutomaticMaskProgress(pointsDone: 384, pointsTotal: 1024, cropsDone: 0, cropsTotal: 1)
        XCTAssertTrue(state.apply(.findingObjectsProgress(imageIndex: 0, progress: progress, elapsed: 24)).isEmpty)
        // 24 s for 384 points: 640 more take 40 s.
        XCTAssertTrue(Chrome.activity(state).hasSuffix("Finding objects: 384/1024 points, ~40 s left (Esc cancels)"),
                      Chrome.activity(state))
        XCTAssertTrue(Chrome.messageLine(state, width: 140).plainText.contains("384/1024 points, ~40 s left"))
        // Too narrow for the message beside it: the progress wins.
        XCTAssertTrue(Chrome.messageLine(state, width: 60).plainText.contains("Finding objects: 384/1024 points"),
                      Chrome.messageLine(state, width: 60).plainText)
        // Crops are counted when there are several.
        let cropped = AutomaticMaskProgress(pointsDone: 64, pointsTotal: 320, cropsDone: 1, cropsTotal: 5)
        _ = state.apply(.findingObjectsProgress(imageIndex: 0, progress: cropped, elapsed: 200))
        XCTAssertTrue(Chrome.activity(state).contains("Finding objects: 64/320 points (crop 2/5), ~13 min left"),
                      Chrome.activity(state))
    }

    func testEscCancelsAndTheEditorSaysSo() {
        var state = state()
        _ = find(&state)
        guard case .cancelFindingObjects(0)? = F.press([.escape], on: &state).first else { return XCTFail("no cancel") }
        XCTAssertTrue(state.document.findingObjects, "running until the engine stops at its next batch")
        XCTAssertTrue(Chrome.activity(state).contains("cancelling"))
        XCTAssertTrue(F.press([.escape], on: &state).isEmpty, "asked once")
        _ = state.apply(.findingObjectsCancelled(imageIndex: 0))
        XCTAssertFalse(state.document.findingObjects)
        XCTAssertEqual(state.message?.text, "Automatic masks cancelled")
        XCTAssertEqual(Chrome.activity(state), "")
        // Esc with nothing running still only cancels a box.
        F.press([.character("b")], on: &state)
        XCTAssertTrue(F.press([.escape], on: &state).isEmpty)
        XCTAssertNil(state.boxAnchor)
    }

    func testTheResultStaysUntilTheOutlinesAreHidden() {
        var state = state()
        _ = find(&state)
        _ = state.apply(.objectsFound(imageIndex: 0, suggestions: AutomaticMasksEditorTests.suggestions()))
        let line = " Automatic: 2 masks (IoU ≥ 0.80, stability ≥ 0.95) — click an outline to adopt, A hides"
        XCTAssertEqual(Chrome.messageLine(state, width: 140).plainText, line)
        F.press([.right, .left, .down], on: &state)
        XCTAssertEqual(Chrome.messageLine(state, width: 140).plainText, line, "keys do not wipe it")
        F.press([.character("A")], on: &state)
        XCTAssertEqual(state.message?.text, "Automatic masks hidden (A finds them again)")
        F.press([.right], on: &state)
        XCTAssertFalse(Chrome.messageLine(state, width: 140).plainText.contains("Automatic"))

        _ = find(&state)
        _ = state.apply(.objectsFound(imageIndex: 0, suggestions: []))
        F.press([.right], on: &state)
        XCTAssertEqual(Chrome.messageLine(state, width: 140).plainText,
                       " Automatic: 0 masks above IoU 0.80, stability ≥ 0.95 — t to lower the threshold, A to run again")
    }

    func testTLowersTheThresholdsTheNextRunUses() {
        var state = state()
        _ = find(&state)
        _ = state.apply(.objectsFound(imageIndex: 0, suggestions: []))
        XCTAssertTrue(F.press([.character("t")], on: &state).isEmpty)
        XCTAssertEqual(state.automaticThresholds, AutomaticThresholds(predictedIoU: 0.7, stability: 0.9))
        XCTAssertEqual(state.message?.text,
                       "Automatic thresholds: IoU 0.70, stability 0.90 — A finds objects with them; t again to change")
        XCTAssertEqual(find(&state).thresholds, AutomaticThresholds(predictedIoU: 0.7, stability: 0.9))
        _ = state.apply(.objectsFound(imageIndex: 0, suggestions: AutomaticMasksEditorTests.suggestions()))
        XCTAssertTrue(Chrome.messageLine(state, width: 140).plainText.contains("(IoU ≥ 0.70, stability ≥ 0.90)"))
        // Lower again: A runs with the new ones instead of hiding the outlines.
        F.press([.character("t")], on: &state)
        XCTAssertEqual(find(&state).thresholds, AutomaticThresholds(predictedIoU: 0.5, stability: 0.8))
        XCTAssertTrue(state.document.suggestions.isEmpty, "the old outlines go")
        // After the laxest, the strictest.
        F.press([.character("t")], on: &state)
        XCTAssertEqual(state.automaticThresholds, AutomaticThresholds(predictedIoU: 0.88, stability: 0.95))
        XCTAssertTrue(state.message?.text.contains("the next run uses them") ?? false, "\(String(describing: state.message))")
    }

    func testTheModelsDefaultsApplyUnlessTheUserChose() {
        var state = F.loadedState()
        _ = state.apply(.automaticDefaults(AutomaticThresholds(predictedIoU: 0.88, stability: 0.95)))
        XCTAssertEqual(state.automaticThresholds?.predictedIoU, 0.88)
        F.press([.character("t")], on: &state)
        _ = state.apply(.automaticDefaults(.sam2Defaults))
        XCTAssertEqual(state.automaticThresholds?.predictedIoU, 0.8, "lowered from 0.88, kept")
    }
}

/// An engine whose generator reports ten batches of ten points, optionally pausing after the
/// first so a test can cancel it.
final class ProgressEngine: PredictionEngine, @unchecked Sendable {
    let modelName = "fake_model"
    let device = "cpu"
    let slotCount = 1
    var gate: DispatchSemaphore?
    let firstBatchDone = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var askedThresholds: [AutomaticThresholds?] = []

    var thresholds: [AutomaticThresholds?] {
        lock.lock()
        defer { lock.unlock() }
        return askedThresholds
    }

    func encode(_ image: RGBImage, slot: Int) throws {}
    func saveEmbedding(slot: Int, path: String, key: String) throws {}
    func loadEmbedding(slot: Int, path: String, key: String) throws {}
    func predict(slot: Int, prompting: Prompt, maskWidth: Int, maskHeight: Int) throws -> PredictionResult {
        throw EngineError(status: .internal, message: "not in this test")
    }
    func replay(slot: Int, steps: [Session.Step], edits: [MaskEdit], base: BinaryMask?, imageWidth: Int, imageHeight: Int,
                objectID: Int, maskWidth: Int, maskHeight: Int) throws -> SessionReplay.Replayed<PredictionResult>? { nil }
    func maskInput(slot: Int, mask: BinaryMask) throws -> [Float] {
        throw EngineError(status: .internal, message: "not in this test")
    }
    func generateMasks(slot: Int, image: RGBImage) throws -> [AutomaticMask] { [] }

    func generateMasks(slot: Int, image: RGBImage, thresholds: AutomaticThresholds?,
                       progress: @escaping (AutomaticMaskProgress) -> Bool) throws -> [AutomaticMask] {
        lock.lock()
        askedThresholds.append(thresholds)
        lock.unlock()
        for done in stride(from: 0, through: 100, by: 10) {
            guard progress(AutomaticMaskProgress(pointsDone: done, pointsTotal: 100, cropsDone: 0, cropsTotal: 1)) else {
                throw EngineError(status: .cancelled, message: "cancelled after \(done) of 100 points")
            }
            if done == 10 {
                firstBatchDone.signal()
                gate?.wait()
            }
        }
        return []
    }
}

final class FindingObjectsWorkerTests: XCTestCase {
    private func worker(_ engine: ProgressEngine, _ recorder: EventRecorder) -> PredictorWorker {
        let dependencies = PredictorWorker.Dependencies(
            loadEngine: { engine },
            loadImage: { _ in (EditorFixtures.gradient(width: 8, height: 6), "key") },
            export: { _ in [] }, cache: nil, modelKey: { _ in "fake" },
            clock: { ProcessInfo.processInfo.systemUptime })
        let worker = PredictorWorker(dependencies: dependencies, post: recorder.post)
        worker.submit(.openImage(index: 0, path: "/a.png", needsPixels: false, lookForSession: false))
        worker.start()
        recorder.wait { $0.contains { if case .imageEncoded = $0 { return true } else { return false } } }
        return worker
    }

    private static func progress(_ events: [EditorEvent]) -> [Int] {
        events.compactMap { if case .findingObjectsProgress(0, let progress, _) = $0 { return progress.pointsDone } else { return nil } }
    }

    func testTheWorkerPostsProgressFromTheStartToTheTotal() {
        let engine = ProgressEngine(), recorder = EventRecorder()
        let worker = worker(engine, recorder)
        let thresholds = AutomaticThresholds(predictedIoU: 0.7, stability: 0.9)
        worker.submit(.findObjects(imageIndex: 0, maskWidth: 4, maskHeight: 3, thresholds: thresholds))
        let events = recorder.wait { $0.contains { if case .objectsFound(0, _) = $0 { return true } else { return false } } }
        let done = Self.progress(events)
        XCTAssertEqual(done.first, 0, "the total shows at once")
        XCTAssertEqual(done.last, 100, "and the end")
        XCTAssertEqual(done, done.sorted())
        XCTAssertEqual(engine.thresholds, [thresholds])
        XCTAssertTrue(events.contains { if case .automaticDefaults(.sam2Defaults) = $0 { return true } else { return false } })
        worker.stop()
    }

    func testACancelStopsTheRunAtItsNextBatch() {
        let engine = ProgressEngine(), recorder = EventRecorder()
        engine.gate = DispatchSemaphore(value: 0)
        let worker = worker(engine, recorder)
        worker.submit(.findObjects(imageIndex: 0, maskWidth: 4, maskHeight: 3))
        engine.firstBatchDone.wait()
        worker.submit(.cancelFindingObjects(imageIndex: 0))
        engine.gate?.signal()
        let events = recorder.wait { $0.contains { if case .findingObjectsCancelled(0) = $0 { return true } else { return false } } }
        XCTAssertFalse(events.contains { if case .objectsFound = $0 { return true } else { return false } })
        XCTAssertLessThanOrEqual(Self.progress(events).last ?? 0, 20, "stopped at the batch after the cancel")
        worker.stop()
    }
}
