// Type-ahead: a burst of input typed before any prediction came back ends in the state that
// typing it slowly (each input, then every answer it leads to) reaches.
import XCTest
import Segmentation
@testable import TerminalUI

final class TypeAheadTests: XCTestCase {
    typealias F = EditorFixtures

    /// The bursts: keys by name ("Space", "Tab", "Delete", "Enter", "^R"; others are characters).
    static let bursts: [String] = [
        "l Space n l l Space n j Space n",                  // the issue's
        "Space Tab l Space 3 n j j Space 2 Tab n",           // candidates
        "Space l x e Enter n Space e Enter",                 // exports
        "Space n l Space Delete y , Space n",                // a delete, then back to the first object
        "Space l Space u ^R d n Space c Space n",            // undo, redo, remove, clear
        "b l l j b n Space m l Space n",                     // a box, multimask
        "Space N c a t Enter n Space e Enter",               // naming in the middle
        "Space ] Space [ l Space n ] e Tab Enter",           // images, every one exported
    ]

    func testEveryBurstEndsAsTypingSlowly() throws {
        for burst in Self.bursts {
            let inputs = Self.keys(burst).map { EditorEvent.key($0) }
            try assertBurstMatchesSlowTyping(inputs, paths: burst.contains("]") ? ["/a.png", "/b.png"] : ["/a.png"], burst)
        }
    }

    func testClicksAndDragsBurstLikeKeys() throws {
        func mouse(_ column: Int, _ row: Int, _ button: MouseButton, _ kind: MouseInput.Kind) -> EditorEvent {
            .mouse(MouseInput(position: CellPosition(column: column, row: row), button: button, kind: kind))
        }
        let inputs: [EditorEvent] = [
            mouse(5, 2, .left, .press), mouse(5, 2, .left, .release), mouse(9, 3, .right, .click), .key(.character("n")),
            mouse(20, 5, .wheelUp, .press), mouse(1, 1, .left, .press), mouse(6, 4, .left, .release),
            mouse(12, 6, .left, .click), .key(.character("n")),
        ]
        try assertBurstMatchesSlowTyping(inputs, paths: ["/a.png"], "mouse")
    }

    func testTheIssuesBurstWaitsAndShowsHowManyKeysWait() throws {
        var state = F.loadedState()
        var worker = FakeWorker()
        for key in Self.keys("l Space n l l Space n j Space n") { worker.put(state.apply(.key(key))) }
        XCTAssertEqual(state.waitingInputCount, 8, "everything from the first n on waits")
        XCTAssertTrue(Chrome.statusLine(state, width: 200).plainText.contains("8 keys waiting"),
                      Chrome.statusLine(state, width: 200).plainText)
        XCTAssertNil(state.message, "no 'Nothing to accept yet'")
        settle([], state: &state, worker: &worker)
        XCTAssertEqual(state.waitingInputCount, 0)
        XCTAssertEqual(state.document.objects.map(\.prompting.points.count), [1, 1, 1, 0])
        XCTAssertEqual(state.document.objects.map { $0.steps.count }, [1, 1, 1, 0])
        XCTAssertTrue(Chrome.statusLine(state, width: 200).plainText.contains("object 4 (4 of 4)"))
        XCTAssertEqual(worker.dropped, 0)
    }

    func testARefiningClickWaitsForTheLogitsItRefines() throws {
        var state = F.loadedState()
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        XCTAssertTrue(F.press([.left, .character("x")], on: &state).isEmpty, "the click waits")
        let effects = state.apply(.prediction(requestID: first.id, result: F.result(best: 2)))
        let second = try XCTUnwrap(F.predictRequests(effects).first)
        XCTAssertEqual(second.prompting.points.count, 2)
        XCTAssertEqual(second.prompting.points[1].position, PixelPoint(x: 39, y: 22), "where the cursor was when x was typed")
        XCTAssertEqual(second.prompting.maskInput?.first, 2, "the logits of the best candidate of the first answer")
    }

    func testAFailedOrDroppedPredictionReleasesTheKeysAsTypingSlowlyWould() throws {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        F.press([.right, .character("n")], on: &state)
        _ = state.apply(.predictionFailed(requestID: request.id, message: "out of memory"))
        XCTAssertEqual(state.waitingInputCount, 0)
        XCTAssertEqual(state.message?.text, "Nothing to accept yet: place a point first")
        XCTAssertEqual(state.cursor, PixelPoint(x: 43, y: 22))

        var dropped = F.loadedState()
        let other = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &dropped)).first)
        F.press([.tab], on: &dropped)
        _ = dropped.apply(.predictionDropped(requestID: other.id))
        XCTAssertEqual(dropped.waitingInputCount, 0)
    }

    func testEscapeDropsTheWaitingKeysAndCtrlCAsksToQuitAtOnce() throws {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        F.press([.character("n"), .right, .character(" ")], on: &state)
        F.press([.escape], on: &state)
        XCTAssertEqual(state.waitingInputCount, 0)
        XCTAssertEqual(state.message?.text, "Dropped 3 waiting keys")
        _ = state.apply(.prediction(requestID: request.id, result: F.result()))
        XCTAssertEqual(state.document.objects.count, 1, "nothing replayed")

        var quitting = F.loadedState()
        _ = F.press([.character(" "), .character("n")], on: &quitting)
        F.press([.control("c")], on: &quitting)
        XCTAssertEqual(quitting.waitingInputCount, 0)
        XCTAssertEqual(quitting.mode, .confirmQuit)
    }

    func testKeysThatNeedNoPredictionApplyAtOnce() throws {
        var state = F.loadedState()
        _ = F.press([.character(" ")], on: &state)
        F.press([.right, .character("+"), .character("o"), .character("?")], on: &state)
        XCTAssertEqual(state.waitingInputCount, 0)
        XCTAssertEqual(state.mode, .help)
        XCTAssertFalse(state.overlayVisible)
    }

    // MARK: - Slow and fast

    private func assertBurstMatchesSlowTyping(_ inputs: [EditorEvent], paths: [String], _ what: String,
                                              file: StaticString = #filePath, line: UInt = #line) throws {
        var slow = F.loadedState(paths: paths)
        var slowWorker = FakeWorker()
        var slowEffects: [EditorEffect] = []
        for input in inputs { slowEffects += settle(slow.apply(input), state: &slow, worker: &slowWorker) }

        var fast = F.loadedState(paths: paths)
        var fastWorker = FakeWorker()
        var fastEffects: [EditorEffect] = []
        for input in inputs {
            let effects = fast.apply(input)
            fastWorker.put(effects)
            fastEffects += effects
        }
        fastEffects += settle([], state: &fast, worker: &fastWorker)

        XCTAssertEqual(Self.fingerprint(fast), Self.fingerprint(slow), what, file: file, line: line)
        XCTAssertEqual(Self.exports(fastEffects), Self.exports(slowEffects), "exports: \(what)", file: file, line: line)
        XCTAssertEqual(fastWorker.dropped, 0, "no prompt left unpredicted: \(what)", file: file, line: line)
        XCTAssertGreaterThan(Self.fingerprint(slow).count, 0)
    }

    /// Answers the effects, and whatever effects the answers lead to, until the worker is idle.
    @discardableResult
    private func settle(_ effects: [EditorEffect], state: inout EditorState, worker: inout FakeWorker) -> [EditorEffect] {
        var all = effects
        worker.put(effects)
        while let events = worker.answerNext() {
            for event in events {
                let more = state.apply(event)
                worker.put(more)
                all += more
            }
        }
        return all
    }

    /// What a user would see or get: objects, prompts, candidates, choices, histories, masks.
    static func fingerprint(_ state: EditorState) -> String {
        var lines = ["image \(state.currentImage) cursor \(state.cursor) mode \(state.mode) waiting \(state.waitingInputCount)"]
        for (index, document) in state.images.enumerated() {
            lines.append("image \(index): current \(document.currentObject) next \(document.nextObjectID) unsaved \(document.hasUnsavedChanges)")
            lines.append("  undo \(document.history.undoEntries.map { "\($0.label) \($0.objectID ?? 0)" }) redo \(document.history.redoEntries.map { "\($0.label) \($0.objectID ?? 0)" })")
            for object in document.objects {
                lines.append("  object \(object.id) \(object.name ?? "-") \(object.prompting) chosen \(object.chosen) \(object.prediction)")
                lines.append("    steps \(object.steps)")
                lines.append("    candidates " + object.candidates.map { "\($0.score) \($0.lowResLogits) \(checksum($0.mask.bytes))" }.joined(separator: ", "))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func exports(_ effects: [EditorEffect]) -> [String] {
        effects.compactMap { effect in
            guard case .export(let request) = effect else { return nil }
            return "\(request.imageIndex) " + request.objects.map { "\($0.displayName) \($0.steps)" }.joined(separator: "; ")
        }
    }

    static func checksum(_ bytes: [UInt8]) -> Int {
        bytes.reduce(17) { $0 &* 31 &+ Int($1) }
    }

    static func keys(_ burst: String) -> [Key] {
        burst.split(separator: " ").map { name in
            switch name {
            case "Space": return .character(" ")
            case "Tab": return .tab
            case "Enter": return .enter
            case "Delete": return .delete
            case "^R": return .control("r")
            default: return .character(name.first!)
            }
        }
    }
}

/// The predictor worker as a value: jobs answered one at a time in the mailbox's order (opening
/// an image first, then predictions, then exports), a newer request for an object replacing
/// its waiting one, requests for an image that is not the active one dropped. Answers derive
/// from the prompt and its mask input, so feeding the wrong logits shows.
struct FakeWorker {
    private var opens: [EditorEffect] = []
    private var predictions: [PredictRequest] = []
    private var exports: [ExportRequest] = []
    private var activeImage = 0
    /// Requests replaced before they ran.
    private(set) var dropped = 0

    mutating func put(_ effects: [EditorEffect]) {
        for effect in effects {
            switch effect {
            case .openImage:
                opens = [effect]
            case .predict(let request):
                let before = predictions.count
                predictions.removeAll { $0.imageIndex == request.imageIndex && $0.objectID == request.objectID }
                dropped += before - predictions.count
                predictions.append(request)
            case .export(let request):
                exports.append(request)
            default:
                break
            }
        }
    }

    /// The events the next job posts; nil when there is nothing to do.
    mutating func answerNext() -> [EditorEvent]? {
        if let open = opens.first, case .openImage(let index, _, let needsPixels, let lookForSession) = open {
            opens.removeAll()
            activeImage = index
            var events: [EditorEvent] = []
            if needsPixels { events.append(.imageLoaded(index: index, image: EditorFixtures.gradient(width: 80, height: 40))) }
            if lookForSession { events.append(.sessionLoaded(index: index, sha256: EditorFixtures.imageSHA256, outcome: .fresh)) }
            return events + [.imageEncoded(index: index, seconds: 0.1, fromCache: false)]
        }
        if !predictions.isEmpty {
            let request = predictions.removeFirst()
            guard request.imageIndex == activeImage else { return [.predictionDropped(requestID: request.id)] }
            return [.prediction(requestID: request.id, result: Self.answer(request))]
        }
        if !exports.isEmpty {
            let request = exports.removeFirst()
            return [.exportFinished(imageIndex: request.imageIndex, files: ["/out/\(request.imageIndex)-\(request.objects.count).png"])]
        }
        return nil
    }

    /// One or three candidates around the last point (or the box), each with its own logits.
    static func answer(_ request: PredictRequest) -> PredictionResult {
        let prompt = request.prompting
        let anchor = prompt.points.last?.position ?? prompt.box?.topLeft ?? PixelPoint(x: 0, y: 0)
        let seed = abs(Int(anchor.x) * 7 + Int(anchor.y) * 13 + prompt.points.count * 31 + Int(prompt.maskInput?.first ?? -1) * 101)
        let count = prompt.multimask ? 3 : 1
        let candidates = (0..<count).map { index -> PredictedMask in
            let radius = Double(3 + (seed + index) % 5)
            var bytes = [UInt8](repeating: 0, count: request.maskWidth * request.maskHeight)
            for y in 0..<request.maskHeight {
                for x in 0..<request.maskWidth where PixelPoint(x: Double(x), y: Double(y)).squaredDistance(to: anchor) <= radius * radius {
                    bytes[y * request.maskWidth + x] = 1
                }
            }
            return PredictedMask(mask: BinaryMask(width: request.maskWidth, height: request.maskHeight, bytes: bytes),
                                 score: Float((seed + index * 3) % 10) / 10,
                                 lowResLogits: [Float](repeating: Float(seed % 1000 + index), count: 16))
        }
        return PredictionResult(candidates: candidates, best: seed % count)
    }
}
