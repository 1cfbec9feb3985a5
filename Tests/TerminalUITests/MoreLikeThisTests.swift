// `s` (more like this) and `S` (similar objects in the index) against the pure update, with the
// worker's answers fed as events; and the worker's embeddings from the real engine.
import Foundation
import Segmentation
import XCTest
@testable import TerminalUI

final class MoreLikeThisTests: XCTestCase {
    typealias F = EditorFixtures

    /// Four masks of the 80 x 40 image: columns [x0, x0 + 10), prompted at their middle.
    static func suggestions() -> [MaskSuggestion] {
        [0, 20, 40, 60].map { x0 in
            let bytes = (0..<(80 * 40)).map { UInt8(($0 % 80) >= x0 && ($0 % 80) < x0 + 10 ? 1 : 0) }
            return MaskSuggestion(mask: BinaryMask(width: 80, height: 40, bytes: bytes), point: PixelPoint(x: Double(x0 + 5), y: 20), score: 0.9)
        }
    }

    /// A state with one object of class "apple" whose mask is the left eighth (x < 10), and the
    /// image's automatic masks found.
    private func stateWithApple() throws -> EditorState {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result(inside: { x, _ in x < 10 })))
        state.images[0].objects[0].category = "apple"
        _ = state.apply(.objectsFound(imageIndex: 0, suggestions: Self.suggestions()))
        return state
    }

    private func unit(_ cosine: Float) -> [Float] { [cosine, (1 - cosine * cosine).squareRoot(), 0] }

    private func embeddingRequest(_ effects: [EditorEffect]) -> EmbeddingRequest? {
        effects.compactMap { if case .embedMasks(let request) = $0 { return request } else { return nil } }.first
    }

    func testSRanksTheAutomaticMasksAndAdoptsOneAsAnObjectOfTheClass() throws {
        var state = try stateWithApple()
        let request = try XCTUnwrap(embeddingRequest(F.press([.character("s")], on: &state)))
        XCTAssertEqual(state.mode, .moreLikeThis)
        XCTAssertEqual(request.masks.count, 5, "the object's mask, then every automatic mask")
        XCTAssertEqual(request.masks[0], state.currentObject?.mask)
        // The first automatic mask lies on the object (its point is inside it): never "another".
        _ = state.apply(.masksEmbedded(requestID: request.id, embeddings: [unit(1), unit(1), unit(0.3), unit(0.9), unit(0.7)]))
        XCTAssertEqual(state.document.likeThisShown, [2, 3], "best first, at or above 0.5, not the object itself")
        XCTAssertEqual(state.cursor, PixelPoint(x: 45, y: 20), "the crosshair on the best one")
        let scene = OverlayScene(state: state)
        XCTAssertEqual(scene.masks.filter(\.outlined).map(\.color), [EditorColors.likeThisSelected, EditorColors.suggestion])
        let panel = ObjectPanel.lines(state, width: 20, height: 12).map(\.plainText)
        XCTAssertTrue(panel.contains { $0.contains("1  0.900") }, "\(panel)")
        XCTAssertTrue(panel.contains { $0.contains("2  0.700") }, "\(panel)")

        // `-` lowers the threshold: the 0.3 one shows too.
        F.press([.character("-"), .character("-"), .character("-"), .character("-")], on: &state)
        XCTAssertEqual(state.document.likeThisShown, [2, 3, 1])
        F.press([.character("+"), .character("+"), .character("+"), .character("+"), .tab], on: &state)
        XCTAssertEqual(state.document.likeThis?.selected, 1)

        // Enter adopts the highlighted (0.7) mask as a new object of the class.
        let adopted = try XCTUnwrap(F.predictRequests(F.press([.enter], on: &state)).first)
        XCTAssertEqual(adopted.prompting.points.map { $0.position }, [PixelPoint(x: 65, y: 20)])
        XCTAssertEqual(state.document.objects.count, 2)
        XCTAssertEqual(state.currentObject?.category, "apple")
        XCTAssertEqual(state.mode, .moreLikeThis, "the list stays for the next one")
        XCTAssertEqual(state.document.likeThisShown.count, 1)

        // A click inside the remaining outline adopts it too.
        let click = try XCTUnwrap(F.predictRequests(state.apply(.mouse(MouseInput(position: CellPosition(column: 22, row: 5),
                                                                                    button: .left, kind: .click)))).first)
        XCTAssertEqual(click.prompting.points.map { $0.position }, [PixelPoint(x: 45, y: 20)])
        XCTAssertEqual(state.document.objects.map(\.category), ["apple", "apple", "apple"])

        // u undoes the adoption without leaving; Esc leaves, and the outlines `A` showed stay.
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.document.objects.count, 2)
        XCTAssertEqual(state.mode, .moreLikeThis)
        F.press([.escape], on: &state)
        XCTAssertEqual(state.mode, .normal)
        XCTAssertNil(state.document.likeThis)
        XCTAssertTrue(state.document.suggestions.allSatisfy { $0.similarity == nil })
        XCTAssertFalse(state.document.suggestions.isEmpty)
    }

    func testSFindsTheAutomaticMasksFirstAndKeepsThemForTheNextTime() throws {
        var state = F.loadedState()
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: first.id, result: F.result(inside: { x, _ in x < 10 })))
        let effects = F.press([.character("s")], on: &state)
        guard case .findObjects(0, 80, 40, _)? = effects.first else { return XCTFail("\(effects)") }
        XCTAssertEqual(state.mode, .moreLikeThis)
        XCTAssertTrue(F.press([.enter], on: &state).isEmpty, "nothing to adopt while it works")
        let request = try XCTUnwrap(embeddingRequest(state.apply(.objectsFound(imageIndex: 0, suggestions: Self.suggestions()))))
        _ = state.apply(.masksEmbedded(requestID: request.id, embeddings: (0..<5).map { _ in unit(0.8) }))
        XCTAssertEqual(state.document.likeThisShown.count, 3)
        F.press([.escape], on: &state)
        XCTAssertTrue(state.document.suggestions.isEmpty, "outlines shown for s only go when it is left")

        // Again: the kept masks and their embeddings, no second run; only the object is embedded.
        let again = try XCTUnwrap(embeddingRequest(F.press([.character("s")], on: &state)))
        XCTAssertEqual(again.masks.count, 1)
        _ = state.apply(.masksEmbedded(requestID: again.id, embeddings: [unit(0.8)]))
        XCTAssertEqual(state.document.likeThisShown.count, 3)
        // An adopted mask leaves the kept run: the next s does not offer it.
        F.press([.enter, .escape], on: &state)
        XCTAssertEqual(state.document.foundObjects?.suggestions.count, 3)
    }

    func testSNeedsAnObjectWithAMaskAndAFailureLeavesTheMode() throws {
        var state = F.loadedState()
        XCTAssertTrue(F.press([.character("s")], on: &state).isEmpty)
        XCTAssertEqual(state.mode, .normal)
        XCTAssertTrue(state.message?.text.contains("select an object with a mask") ?? false)

        state = try stateWithApple()
        let request = try XCTUnwrap(embeddingRequest(F.press([.character("s")], on: &state)))
        _ = state.apply(.embeddingFailed(requestID: request.id, message: "boom"))
        XCTAssertEqual(state.mode, .normal)
        XCTAssertEqual(state.message?.isError, true)
        XCTAssertTrue(state.message?.text.contains("boom") ?? false)
    }

    func testCapitalSListsSimilarObjectsOfOtherImagesAndOpensOne() throws {
        var state = F.loadedState(paths: ["/images/cat.png", "/images/dog.png"])
        let click = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: click.id, result: F.result()))
        let effects = F.press([.character("S")], on: &state)
        let query = try XCTUnwrap(effects.compactMap { if case .queryIndex(let query) = $0 { return query } else { return nil } }.first)
        XCTAssertEqual(query.imagePath, "/images/cat.png")
        XCTAssertEqual(query.mask, state.currentObject?.mask)
        guard case .similarObjects(let searching) = state.mode else { return XCTFail("\(state.mode)") }
        XCTAssertTrue(EditorState.similarObjectsLines(searching).contains("Searching the index…"))

        let matches = [SimilarObject(imagePath: "/images/owl.png", objectID: 4, className: "bird", name: nil, similarity: 0.91),
                       SimilarObject(imagePath: "/images/dog.png", objectID: 2, className: "dog", name: "rex", similarity: 0.85)]
        _ = state.apply(.similarObjectsFound(requestID: query.id, matches: matches, note: "3 objects of other models left out"))
        guard case .similarObjects(let list) = state.mode else { return XCTFail("\(state.mode)") }
        let lines = EditorState.similarObjectsLines(list)
        XCTAssertTrue(lines.contains("> 0.910  owl.png #4  bird"), "\(lines)")
        XCTAssertTrue(lines.contains("  0.850  dog.png #2  dog / rex"), "\(lines)")
        XCTAssertTrue(lines.contains("3 objects of other models left out"))

        // Enter on the second: the image in the list, then the object selected once its session comes.
        let opened = F.press([.down, .enter], on: &state)
        XCTAssertEqual(state.mode, .normal)
        XCTAssertEqual(state.currentImage, 1)
        guard case .openImage(1, "/images/dog.png", _, _)? = opened.first else { return XCTFail("\(opened)") }
        let session = Session(image: Session.ImageReference(path: "dog.png", sha256: F.imageSHA256, width: 80, height: 40),
                              model: "sam2.1_hiera_t",
                              objects: [1, 2, 3].map { id in
                                  Session.Object(id: id, color: RGBColor(1, 2, 3),
                                                 base: Session.BaseMask(counts: RLE(mask: F.result(inside: { x, _ in x < id * 10 })
                                                                                    .candidates[0].mask).compressedString))
                              })
        _ = state.apply(.sessionLoaded(index: 1, sha256: F.imageSHA256, outcome: .found(session)))
        XCTAssertEqual(state.currentObject?.id, 2)

        // Enter on an image not in the list adds it.
        _ = state.apply(.imageLoaded(index: 1, image: F.gradient(width: 80, height: 40)))
        _ = state.apply(.imageEncoded(index: 1, seconds: 0, fromCache: true))
        let next = F.press([.character("S")], on: &state).compactMap { if case .queryIndex(let query) = $0 { return query } else { return nil } }
        let second = try XCTUnwrap(next.first)
        _ = state.apply(.similarObjectsFound(requestID: second.id, matches: matches, note: nil))
        F.press([.enter], on: &state)
        XCTAssertEqual(state.images.map(\.path), ["/images/cat.png", "/images/dog.png", "/images/owl.png"])
        XCTAssertEqual(state.currentImage, 2)
        XCTAssertEqual(state.images[2].selectOnOpen, 4)
    }

    func testTheWorkersEmbeddingsAreTheEnginesAndTheIndexIsAsked() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/sam2")
        let model = try Model(path: fixtures.appendingPathComponent("tiny_sam2.1.pt").path, device: .cpu)
        let imagePath = fixtures.appendingPathComponent("image_wide.png").path
        let (worker, recorder, _) = F.realWorker(model: model, imagePath: imagePath)
        defer { worker.stop() }
        var left = BinaryMask(width: 64, height: 48), right = BinaryMask(width: 64, height: 48)
        for y in 8..<40 { for x in 4..<20 { left[x, y] = true }; for x in 40..<60 { right[x, y] = true } }
        worker.submit(.embedMasks(EmbeddingRequest(id: 7, imageIndex: 0, masks: [left, right])))
        let events = recorder.wait { $0.contains { if case .masksEmbedded(7, _) = $0 { return true } else { return false } } }
        guard case .masksEmbedded(_, let embeddings)? = events.last(where: { if case .masksEmbedded = $0 { return true } else { return false } })
        else { return XCTFail("no embeddings") }
        let predictor = try Predictor(model: model)
        try predictor.setImage(try RGBImage.load(path: imagePath))
        XCTAssertEqual(embeddings, [try predictor.objectEmbedding(of: left), try predictor.objectEmbedding(of: right)])

        // The default dependencies have no index: the query fails with a message, not a crash.
        worker.submit(.queryIndex(IndexQuery(id: 8, imageIndex: 0, imagePath: imagePath, mask: left, top: 5)))
        recorder.wait { $0.contains { if case .similarObjectsFailed(8, _) = $0 { return true } else { return false } } }
    }
}
