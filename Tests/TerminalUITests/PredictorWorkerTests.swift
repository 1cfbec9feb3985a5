// The predictor worker against a scripted engine: ordering, coalescing, caching, failures.
import XCTest
import Foundation
import Segmentation
@testable import TerminalUI

/// An engine that records what it is asked and answers with masks derived from the prompt.
final class ScriptedEngine: PredictionEngine, @unchecked Sendable {
    let modelName = "fake_model"
    let device = "cpu"
    let slotCount: Int
    private let lock = NSLock()
    private var log: [String] = []
    private var maskInputLog: [Float?] = []
    /// While set, `predict` waits on it before answering (to hold the worker busy).
    var predictGate: DispatchSemaphore?
    /// Signalled each time `predict` is entered.
    let predictEntered = DispatchSemaphore(value: 0)
    var failEncoding = false

    init(slotCount: Int = 2) {
        self.slotCount = slotCount
    }

    var calls: [String] {
        lock.lock()
        defer { lock.unlock() }
        return log
    }

    /// The first value of each prediction's mask input (nil: none), in order.
    var maskInputs: [Float?] {
        lock.lock()
        defer { lock.unlock() }
        return maskInputLog
    }

    private func record(_ call: String) {
        lock.lock()
        log.append(call)
        lock.unlock()
    }

    func encode(_ image: RGBImage, slot: Int) throws {
        record("encode \(image.width)x\(image.height) slot \(slot)")
        if failEncoding { throw EngineError(status: .internal, message: "out of memory") }
    }

    func saveEmbedding(slot: Int, path: String, key: String) throws {
        record("save slot \(slot) \(key)")
        try Data(key.utf8).write(to: URL(fileURLWithPath: path))
    }

    func loadEmbedding(slot: Int, path: String, key: String) throws {
        record("load slot \(slot) \(key)")
        let stored = try String(contentsOfFile: path, encoding: .utf8)
        guard stored == key else { throw EngineError(status: .format, message: "\(path): made for another image") }
    }

    /// Two masks of the 8 x 6 images: the left half and the right half.
    func generateMasks(slot: Int, image: RGBImage) throws -> [AutomaticMask] {
        record("generate slot \(slot) \(image.width)x\(image.height)")
        return [(0..<4, 1.5), (4..<8, 5.5)].map { columns, x in
            let mask = BinaryMask(width: image.width, height: image.height,
                                  bytes: (0..<(image.width * image.height)).map { UInt8(columns.contains($0 % image.width) ? 1 : 0) })
            return AutomaticMask(segmentation: RLE(mask: mask), area: mask.area, bbox: [], predictedIoU: 0.9, stabilityScore: 0.97,
                                 pointCoords: [x, 2.5], cropBox: PixelBox(x: 0, y: 0, width: image.width, height: image.height))
        }
    }

    func predict(slot: Int, prompting: Prompt, maskWidth: Int, maskHeight: Int) throws -> PredictionResult {
        predictEntered.signal()
        predictGate?.wait()
        record("predict slot \(slot) points \(prompting.points.count) \(maskWidth)x\(maskHeight)")
        lock.lock()
        maskInputLog.append(prompting.maskInput?.first)
        lock.unlock()
        let count = prompting.multimask ? 3 : 1
        let mask = BinaryMask(width: maskWidth, height: maskHeight, bytes: [UInt8](repeating: 1, count: maskWidth * maskHeight))
        return PredictionResult(candidates: (0..<count).map {
            PredictedMask(mask: mask, score: 0.5 + Float($0) / 10, lowResLogits: [Float](repeating: Float($0), count: 16))
        }, best: count - 1)
    }

    /// Replays through `predict` above, as the real engine replays through its predictor.
    func replay(slot: Int, steps: [Session.Step], edits: [MaskEdit], base: BinaryMask?, imageWidth: Int, imageHeight: Int,
                objectID: Int, maskWidth: Int, maskHeight: Int) throws -> SessionReplay.Replayed<PredictionResult>? {
        let editing = SessionReplay.Editing(edits: edits, imageWidth: imageWidth, imageHeight: imageHeight, base: base) {
            try self.maskInput(slot: slot, mask: $0)
        }
        return try SessionReplay.replay(steps, objectID: objectID, finalOutput: MaskOutputOptions(size: (maskWidth, maskHeight)),
                                        editing: editing) {
            try predict(slot: slot, prompting: $0, maskWidth: $1.size?.width ?? 0, maskHeight: $1.size?.height ?? 0)
        }
    }

    /// The mask's area in every logit, so a test can tell which mask a refine was given.
    func maskInput(slot: Int, mask: BinaryMask) throws -> [Float] {
        [Float](repeating: Float(mask.area), count: 16)
    }
}

/// Collects posted events and waits for the ones a test expects.
final class EventRecorder: @unchecked Sendable {
    private let condition = NSCondition()
    private var events: [EditorEvent] = []

    func post(_ event: EditorEvent) {
        condition.lock()
        events.append(event)
        condition.broadcast()
        condition.unlock()
    }

    var all: [EditorEvent] {
        condition.lock()
        defer { condition.unlock() }
        return events
    }

    /// Waits (up to 20 s, generous for a loaded machine) until `done` holds for the events.
    @discardableResult
    func wait(file: StaticString = #filePath, line: UInt = #line, until done: ([EditorEvent]) -> Bool) -> [EditorEvent] {
        let deadline = Date(timeIntervalSinceNow: 20)
        condition.lock()
        defer { condition.unlock() }
        while !done(events) {
            if !condition.wait(until: deadline) {
                XCTFail("timed out; events so far: \(events.map(Self.describe))", file: file, line: line)
                return events
            }
        }
        return events
    }

    static func describe(_ event: EditorEvent) -> String {
        switch event {
        case .modelLoaded(let name, _): return "modelLoaded \(name)"
        case .automaticDefaults(let thresholds): return "automaticDefaults \(thresholds.predictedIoU)"
        case .modelFailed(let message): return "modelFailed \(message)"
        case .imageLoaded(let index, _): return "imageLoaded \(index)"
        case .imageFailed(let index, let message): return "imageFailed \(index) \(message)"
        case .encodingStarted(let index, _): return "encodingStarted \(index)"
        case .imageEncoded(let index, _, let fromCache): return "imageEncoded \(index)\(fromCache ? " cached" : "")"
        case .encodingFailed(let index, let message): return "encodingFailed \(index) \(message)"
        case .prediction(let id, let result): return "prediction \(id) x\(result.candidates.count)"
        case .predictionFailed(let id, let message): return "predictionFailed \(id) \(message)"
        case .predictionDropped(let id): return "predictionDropped \(id)"
        case .exportFinished(let index, let files, _): return "exportFinished \(index) \(files)"
        case .exportFailed(let index, let message): return "exportFailed \(index) \(message)"
        case .sessionLoaded(let index, let sha256, _): return "sessionLoaded \(index) \(sha256)"
        case .replayed(let id, let result, let maskInput):
            return "replayed \(id) x\(result.candidates.count) mask input \(maskInput.map { "\($0.first ?? -1)" } ?? "none")"
        default: return "\(event)"
        }
    }

    var descriptions: [String] { all.map(Self.describe) }
}

final class PredictorWorkerTests: XCTestCase {
    var cacheFolder: String!

    override func setUpWithError() throws {
        cacheFolder = NSTemporaryDirectory() + "samterm-worker-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: cacheFolder)
    }

    func makeWorker(engine: ScriptedEngine, recorder: EventRecorder, failModel: Bool = false,
                    existingFiles: Set<String> = [],
                    exported: (@Sendable (PredictorWorker.ExportJob) -> Void)? = nil) -> PredictorWorker {
        let dependencies = PredictorWorker.Dependencies(
            loadEngine: {
                if failModel { throw EngineError(status: .io, message: "/models/x.pt: no such file") }
                return engine
            },
            loadImage: { path in
                if path.hasSuffix(".txt") { throw ImageError(path: path, reason: .notPNGOrJPEG) }
                return (EditorFixtures.gradient(width: 8, height: 6), "key-" + path.replacingOccurrences(of: "/", with: ""))
            },
            export: { job in
                let files = job.objects.map { "\(job.folder)/mask_\($0.id).png" }
                let clashes = files.filter(existingFiles.contains)
                if !job.overwrite && !clashes.isEmpty { throw ExportError.filesExist(clashes) }
                exported?(job)
                return files
            },
            cache: EmbeddingCache(directory: cacheFolder),
            modelKey: { _ in "fake_model-0" },
            clock: { ProcessInfo.processInfo.systemUptime })
        return PredictorWorker(dependencies: dependencies, post: recorder.post)
    }

    func request(id: Int, object: Int = 1, image: Int = 0, points: Int = 1) -> PredictRequest {
        let prompt = Prompt(points: (0..<points).map { PromptPoint(x: Float($0) + 0.5, y: 0.5, label: .foreground) }, multimask: points == 1)
        return PredictRequest(id: id, imageIndex: image, objectID: object, prompting: prompt, maskWidth: 8, maskHeight: 6)
    }

    func testOpensEncodesAndCachesThenReopensFromTheCache() {
        let engine = ScriptedEngine(), recorder = EventRecorder()
        let worker = makeWorker(engine: engine, recorder: recorder)
        worker.submit(.openImage(index: 0, path: "/a.png", needsPixels: true, lookForSession: true))
        worker.start()
        recorder.wait { $0.contains { if case .imageEncoded = $0 { return true } else { return false } } }
        XCTAssertEqual(recorder.descriptions, ["imageLoaded 0", "modelLoaded fake_model", "automaticDefaults 0.8", "sessionLoaded 0 key-a.png", "encodingStarted 0",
                                               "imageEncoded 0"],
                       "pixels first, before the model is even loaded")
        worker.stop()
        XCTAssertTrue(worker.waitUntilIdle(timeout: 20))
        XCTAssertEqual(engine.calls, ["encode 8x6 slot 0", "save slot 0 key-a.png"])

        let second = ScriptedEngine(), again = EventRecorder()
        let reopened = makeWorker(engine: second, recorder: again)
        reopened.submit(.openImage(index: 0, path: "/a.png", needsPixels: true, lookForSession: true))
        reopened.start()
        again.wait { $0.contains { if case .imageEncoded = $0 { return true } else { return false } } }
        XCTAssertEqual(again.descriptions, ["imageLoaded 0", "modelLoaded fake_model", "automaticDefaults 0.8", "sessionLoaded 0 key-a.png",
                                            "imageEncoded 0 cached"])
        XCTAssertEqual(second.calls, ["load slot 0 key-a.png"], "no encoding the second time")
        reopened.stop()
    }

    func testTheNewestPromptForAnObjectWins() {
        let engine = ScriptedEngine(), recorder = EventRecorder()
        let gate = DispatchSemaphore(value: 0)
        let worker = makeWorker(engine: engine, recorder: recorder)
        worker.submit(.openImage(index: 0, path: "/a.png", needsPixels: false, lookForSession: true))
        worker.start()
        recorder.wait { $0.contains { if case .imageEncoded = $0 { return true } else { return false } } }
        engine.predictGate = gate
        worker.submit(.predict(request(id: 1)))
        engine.predictEntered.wait()  // the worker is inside request 1
        worker.submit(.predict(request(id: 2, points: 2)))
        worker.submit(.predict(request(id: 3, object: 2)))
        worker.submit(.predict(request(id: 4, points: 3)))
        for _ in 0..<3 { gate.signal() }
        let events = recorder.wait { $0.filter { if case .prediction = $0 { return true } else { return false } }.count == 3 }
        let answered = events.compactMap { event -> Int? in if case .prediction(let id, _) = event { return id } else { return nil } }
        XCTAssertEqual(answered, [1, 3, 4], "request 2 was replaced by 4 before it ran")
        XCTAssertEqual(engine.calls.filter { $0.hasPrefix("predict") }, ["predict slot 0 points 1 8x6", "predict slot 0 points 1 8x6",
                                                                          "predict slot 0 points 3 8x6"])
        worker.stop()
    }

    func testPredictionsForAnotherImageAreDropped() {
        let engine = ScriptedEngine(), recorder = EventRecorder()
        let worker = makeWorker(engine: engine, recorder: recorder)
        worker.submit(.openImage(index: 0, path: "/a.png", needsPixels: false, lookForSession: true))
        worker.start()
        recorder.wait { $0.contains { if case .imageEncoded = $0 { return true } else { return false } } }
        worker.submit(.predict(request(id: 7, image: 1)))
        recorder.wait { $0.contains { if case .predictionDropped(7) = $0 { return true } else { return false } } }
        worker.stop()
    }

    func testPrefetchedImagesOpenWithoutEncodingAgain() {
        let engine = ScriptedEngine(), recorder = EventRecorder()
        let worker = makeWorker(engine: engine, recorder: recorder)
        worker.submit(.openImage(index: 0, path: "/a.png", needsPixels: false, lookForSession: true))
        worker.start()
        recorder.wait { $0.contains { if case .imageEncoded(0, _, _) = $0 { return true } else { return false } } }
        worker.submit(.prefetchImage(index: 1, path: "/b.png"))
        let deadline = Date(timeIntervalSinceNow: 20)
        while !engine.calls.contains("save slot 1 key-b.png") && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        worker.submit(.openImage(index: 1, path: "/b.png", needsPixels: true, lookForSession: true))
        recorder.wait { $0.contains { if case .imageEncoded(1, _, _) = $0 { return true } else { return false } } }
        XCTAssertEqual(Array(engine.calls.prefix(4)), ["encode 8x6 slot 0", "save slot 0 key-a.png", "encode 8x6 slot 1", "save slot 1 key-b.png"],
                       "the next image went to the spare slot")
        XCTAssertEqual(engine.calls.filter { $0.hasPrefix("encode") }.count, 2, "each image encoded once")
        XCTAssertTrue(recorder.descriptions.contains("imageEncoded 1 cached"))
        // Back to the first: still in its slot.
        worker.submit(.openImage(index: 0, path: "/a.png", needsPixels: true, lookForSession: false))
        recorder.wait { $0.filter { if case .imageEncoded(0, _, _) = $0 { return true } else { return false } }.count == 2 }
        XCTAssertEqual(engine.calls.filter { $0.hasPrefix("encode") || $0.hasPrefix("load") }.count, 2)
        XCTAssertEqual(recorder.descriptions.filter { $0.hasPrefix("sessionLoaded") }, ["sessionLoaded 0 key-a.png", "sessionLoaded 1 key-b.png"],
                       "a session is looked for only when the editor asks")
        worker.submit(.predict(request(id: 9)))
        recorder.wait { $0.contains { if case .prediction(9, _) = $0 { return true } else { return false } } }
        XCTAssertEqual(engine.calls.last, "predict slot 0 points 1 8x6", "predictions run on the active image's slot")
        worker.stop()
    }

    func testExportPredictsEveryObjectAtFullSize() throws {
        let engine = ScriptedEngine(), recorder = EventRecorder()
        let jobs = JobBox()
        let worker = makeWorker(engine: engine, recorder: recorder, exported: { jobs.append($0) })
        worker.submit(.openImage(index: 0, path: "/photos/a.png", needsPixels: false, lookForSession: true))
        worker.start()
        recorder.wait { $0.contains { if case .imageEncoded = $0 { return true } else { return false } } }
        let point = { (x: Double) in Session.Point(x: x, y: 0.5, label: 1) }
        let objects = [ObjectRecord(id: 1, name: "cat", color: ObjectPalette.color(at: 0),
                                    steps: [Session.Step(points: [point(0.5)], multimask: true, maskInput: false, candidate: 1)]),
                       ObjectRecord(id: 3, name: nil, color: ObjectPalette.color(at: 2),
                                    steps: [Session.Step(points: [point(0.5)], multimask: true, maskInput: false, candidate: 2),
                                            Session.Step(points: [point(0.5), point(1.5)], multimask: false, maskInput: true,
                                                         candidate: 0)])]
        worker.submit(.export(ExportRequest(imageIndex: 0, imagePath: "/photos/a.png", imageWidth: 8, imageHeight: 6,
                                            objects: objects, directory: nil)))
        let events = recorder.wait { $0.contains { if case .exportFinished = $0 { return true } else { return false } } }
        guard case .exportFinished(0, let files, _)? = events.last else { return XCTFail("\(events)") }
        XCTAssertEqual(files, ["/photos/samterm-export/mask_1.png", "/photos/samterm-export/mask_3.png"],
                       "in samterm-export beside the image without --out")
        let job = try XCTUnwrap(jobs.first)
        XCTAssertEqual(job.objects.map(\.mask.width), [8, 8])
        XCTAssertEqual(job.objects.map(\.score), [0.6, 0.5].map { Double(Float($0)) })
        XCTAssertEqual(Array(engine.calls.suffix(3)), ["predict slot 0 points 1 8x6", "predict slot 0 points 1 1x1",
                                                      "predict slot 0 points 2 8x6"], "the steps replayed, the last at full size")
        XCTAssertEqual(Array(engine.maskInputs.suffix(1)), [2], "fed the kept candidate of the step before")
        XCTAssertEqual(job.model, "fake_model")
        worker.stop()
    }

    func testReplayFeedsEachKeptCandidateToTheNextStep() throws {
        let engine = ScriptedEngine(), recorder = EventRecorder()
        let worker = makeWorker(engine: engine, recorder: recorder)
        worker.submit(.openImage(index: 0, path: "/a.png", needsPixels: false, lookForSession: true))
        worker.start()
        recorder.wait { $0.contains { if case .imageEncoded = $0 { return true } else { return false } } }
        let point = { (x: Double) in Session.Point(x: x, y: 0.5, label: 1) }
        let steps = [Session.Step(points: [point(0.5)], multimask: true, maskInput: false, candidate: 2),
                     Session.Step(points: [point(0.5), point(1.5)], multimask: true, maskInput: true, candidate: 1),
                     Session.Step(points: [point(0.5), point(1.5), point(2.5)], multimask: false, maskInput: true, candidate: 0)]
        worker.submit(.replay(ReplayRequest(id: 5, imageIndex: 0, objectID: 1, steps: steps, maskWidth: 8, maskHeight: 6)))
        recorder.wait { $0.contains { if case .replayed(5, _, _) = $0 { return true } else { return false } } }
        XCTAssertEqual(Array(engine.calls.suffix(3)), ["predict slot 0 points 1 1x1", "predict slot 0 points 2 1x1",
                                                      "predict slot 0 points 3 8x6"], "only the last step's masks are sized")
        XCTAssertEqual(Array(engine.maskInputs.suffix(3)), [nil, 2, 1], "each step gets the logits of the candidate kept before it")
        XCTAssertTrue(recorder.descriptions.contains("replayed 5 x1 mask input 1.0"), recorder.descriptions.joined(separator: "\n"))

        // A step that keeps a candidate the prediction does not have fails the replay, clearly.
        let broken = [Session.Step(points: [point(0.5)], multimask: false, maskInput: false, candidate: 2)]
        worker.submit(.replay(ReplayRequest(id: 6, imageIndex: 0, objectID: 4, steps: broken, maskWidth: 8, maskHeight: 6)))
        let events = recorder.wait { $0.contains { if case .predictionFailed(6, _) = $0 { return true } else { return false } } }
        XCTAssertTrue(events.contains { if case .predictionFailed(6, let text) = $0 { return text.contains("object 4, step 1: candidate 2") } else { return false } },
                      recorder.descriptions.joined(separator: "\n"))
        worker.stop()
    }

    func testExportingAnotherImageUsesTheSpareSlotAndLeavesTheActiveOne() throws {
        let engine = ScriptedEngine(), recorder = EventRecorder(), jobs = JobBox()
        let worker = makeWorker(engine: engine, recorder: recorder, exported: { jobs.append($0) })
        worker.submit(.openImage(index: 0, path: "/photos/a.png", needsPixels: false, lookForSession: true))
        worker.start()
        recorder.wait { $0.contains { if case .imageEncoded = $0 { return true } else { return false } } }
        let steps = [Session.Step(points: [Session.Point(x: 0.5, y: 0.5, label: 1)], multimask: true, maskInput: false, candidate: 1)]
        worker.submit(.export(ExportRequest(imageIndex: 1, imagePath: "/photos/b.png", imageWidth: 8, imageHeight: 6,
                                            objects: [ObjectRecord(id: 1, name: nil, color: ObjectPalette.color(at: 0), steps: steps)],
                                            directory: "/out", formats: [.overlay])))
        let events = recorder.wait { $0.contains { if case .exportFinished = $0 { return true } else { return false } } }
        guard case .exportFinished(1, let files, _)? = events.last else { return XCTFail("\(events)") }
        XCTAssertEqual(files, ["/out/mask_1.png"])
        XCTAssertEqual(jobs.first?.formats, [.overlay], "the dialog's formats reach the exporter")
        XCTAssertEqual(Array(engine.calls.suffix(3)), ["encode 8x6 slot 1", "save slot 1 key-photosb.png", "predict slot 1 points 1 8x6"],
                       "encoded into the spare slot")
        worker.submit(.predict(request(id: 4)))
        recorder.wait { $0.contains { if case .prediction(4, _) = $0 { return true } else { return false } } }
        XCTAssertEqual(engine.calls.last, "predict slot 0 points 1 8x6", "the image on screen keeps its slot")
        worker.stop()
    }

    func testExportRemovesTheFilesOfThePreviousExportItDoesNotWriteAgain() throws {
        let folder = NSTemporaryDirectory() + "samterm-worker-export-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["mask_1.png", "mask_2.png", "notes.png"] {
            FileManager.default.createFile(atPath: "\(folder)/\(name)", contents: Data([1]))
        }
        let engine = ScriptedEngine(), recorder = EventRecorder()
        let worker = makeWorker(engine: engine, recorder: recorder, existingFiles: ["\(folder)/mask_1.png"])
        worker.submit(.openImage(index: 0, path: "/photos/a.png", needsPixels: false, lookForSession: true))
        worker.start()
        recorder.wait { $0.contains { if case .imageEncoded = $0 { return true } else { return false } } }
        let steps = [Session.Step(points: [Session.Point(x: 0.5, y: 0.5, label: 1)], multimask: true, maskInput: false, candidate: 1)]
        let earlier = ["\(folder)/mask_1.png", "\(folder)/mask_2.png"]
        worker.submit(.export(ExportRequest(imageIndex: 0, imagePath: "/photos/a.png", imageWidth: 8, imageHeight: 6,
                                            objects: [ObjectRecord(id: 1, name: nil, color: ObjectPalette.color(at: 0), steps: steps)],
                                            directory: folder, replaceable: Set(earlier), earlier: earlier)))
        let events = recorder.wait { $0.contains { if case .exportFinished = $0 { return true } else { return false } } }
        guard case .exportFinished(0, let files, let removed)? = events.last else { return XCTFail("\(events)") }
        XCTAssertEqual(files, ["\(folder)/mask_1.png"], "replaced without asking: the record says this image's export wrote it")
        XCTAssertEqual(removed, ["\(folder)/mask_2.png"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(folder)/mask_2.png"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(folder)/notes.png"), "not in the record: never touched")
        worker.stop()
    }

    func testExportAsksBeforeReplacingFilesItDidNotWrite() throws {
        let engine = ScriptedEngine(), recorder = EventRecorder(), jobs = JobBox()
        let worker = makeWorker(engine: engine, recorder: recorder, existingFiles: ["/photos/samterm-export/mask_1.png"], exported: { jobs.append($0) })
        worker.submit(.openImage(index: 0, path: "/photos/a.png", needsPixels: false, lookForSession: true))
        worker.start()
        recorder.wait { $0.contains { if case .imageEncoded = $0 { return true } else { return false } } }
        let steps = [Session.Step(points: [Session.Point(x: 0.5, y: 0.5, label: 1)], multimask: true, maskInput: false, candidate: 1)]
        var export = ExportRequest(imageIndex: 0, imagePath: "/photos/a.png", imageWidth: 8, imageHeight: 6,
                                   objects: [ObjectRecord(id: 1, name: nil, color: ObjectPalette.color(at: 0), steps: steps)],
                                   directory: nil)
        worker.submit(.export(export))
        recorder.wait { $0.contains { if case .exportNeedsOverwrite(0, ["/photos/samterm-export/mask_1.png"]) = $0 { return true } else { return false } } }
        XCTAssertEqual(jobs.count, 0, "nothing written")
        export.overwrite = true
        worker.submit(.export(export))
        recorder.wait { $0.contains { if case .exportFinished = $0 { return true } else { return false } } }
        XCTAssertEqual(jobs.count, 1)
        // The files the editor says it wrote are replaced without asking.
        export.overwrite = false
        export.replaceable = ["/photos/samterm-export/mask_1.png"]
        worker.submit(.export(export))
        recorder.wait { $0.filter { if case .exportFinished = $0 { return true } else { return false } }.count == 2 }
        XCTAssertEqual(jobs.count, 2)
        worker.stop()
    }

    func testFindingObjectsRunsTheGeneratorOnTheActiveImage() throws {
        let engine = ScriptedEngine(), recorder = EventRecorder()
        let worker = makeWorker(engine: engine, recorder: recorder)
        worker.submit(.openImage(index: 0, path: "/a.png", needsPixels: false, lookForSession: true))
        worker.start()
        recorder.wait { $0.contains { if case .imageEncoded = $0 { return true } else { return false } } }
        worker.submit(.findObjects(imageIndex: 0, maskWidth: 4, maskHeight: 3))
        let events = recorder.wait { $0.contains { if case .objectsFound = $0 { return true } else { return false } } }
        XCTAssertEqual(engine.calls.last, "generate slot 0 8x6")
        guard case .objectsFound(0, let found)? = events.last else { return XCTFail("\(recorder.descriptions)") }
        XCTAssertEqual(found.map(\.point), [PixelPoint(x: 1.5, y: 2.5), PixelPoint(x: 5.5, y: 2.5)])
        XCTAssertEqual(found.first?.mask, BinaryMask(width: 4, height: 3, bytes: [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]),
                       "masks come at the display size")
        // Not the active image: refused, with a reason.
        worker.submit(.findObjects(imageIndex: 3, maskWidth: 4, maskHeight: 3))
        recorder.wait { $0.contains { if case .findingObjectsFailed(3, _) = $0 { return true } else { return false } } }
        worker.stop()
    }

    func testFailuresBecomeEvents() {
        let engine = ScriptedEngine(), recorder = EventRecorder()
        let worker = makeWorker(engine: engine, recorder: recorder, failModel: true)
        worker.submit(.openImage(index: 0, path: "/a.png", needsPixels: true, lookForSession: true))
        worker.start()
        recorder.wait { $0.contains { if case .encodingFailed = $0 { return true } else { return false } } }
        worker.submit(.predict(request(id: 1)))
        worker.submit(.openImage(index: 1, path: "/notes.txt", needsPixels: true, lookForSession: true))
        recorder.wait { $0.count >= 5 }
        XCTAssertEqual(Array(recorder.descriptions.prefix(3)), ["imageLoaded 0", "modelFailed /models/x.pt: no such file",
                                                                "encodingFailed 0 No model: /models/x.pt: no such file"])
        XCTAssertEqual(Set(recorder.descriptions.dropFirst(3)), ["imageFailed 1 /notes.txt: not a PNG or JPEG file",
                                                                 "predictionFailed 1 No model: /models/x.pt: no such file"],
                       "the worker may take these two in either order, depending on when each arrives")
        worker.stop()
    }

    func testEncodingFailureIsReported() {
        let engine = ScriptedEngine(), recorder = EventRecorder()
        engine.failEncoding = true
        let worker = makeWorker(engine: engine, recorder: recorder)
        worker.submit(.openImage(index: 0, path: "/a.png", needsPixels: false, lookForSession: true))
        worker.start()
        recorder.wait { $0.contains { if case .encodingFailed(0, "Encoding failed: out of memory") = $0 { return true } else { return false } } }
        worker.stop()
    }
}

final class JobBox: @unchecked Sendable {
    private let lock = NSLock()
    private var jobs: [PredictorWorker.ExportJob] = []
    func append(_ job: PredictorWorker.ExportJob) { lock.lock(); jobs.append(job); lock.unlock() }
    var first: PredictorWorker.ExportJob? { lock.lock(); defer { lock.unlock() }; return jobs.first }
    var count: Int { lock.lock(); defer { lock.unlock() }; return jobs.count }
}
