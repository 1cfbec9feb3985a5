// `A` in the editor: the automatic masks as outlines, and adopting one as an object.
import XCTest
import Segmentation
@testable import TerminalUI

final class AutomaticMasksEditorTests: XCTestCase {
    typealias F = EditorFixtures

    /// Masks of the 80 x 40 fixture image: the left quarter, and everything left of x = 60.
    static func suggestions() -> [MaskSuggestion] {
        [20, 60].map { right in
            let bytes = (0..<(80 * 40)).map { UInt8($0 % 80 < right ? 1 : 0) }
            return MaskSuggestion(mask: BinaryMask(width: 80, height: 40, bytes: bytes), point: PixelPoint(x: Double(right) / 2, y: 20.5), score: 0.9)
        }
    }

    func testAFindsObjectsInTheBackgroundAndShowsThemAsOutlines() throws {
        var state = F.loadedState()
        let effects = F.press([.character("A"), .character("y")], on: &state)  // y: the CPU asks first
        guard case .findObjects(0, 80, 40, _)? = effects.first else { return XCTFail("\(effects)") }
        XCTAssertTrue(state.document.findingObjects)
        XCTAssertTrue(Chrome.messageLine(state, width: 120).plainText.contains("Finding objects"))
        XCTAssertTrue(F.press([.character("A")], on: &state).isEmpty, "one run at a time")

        _ = state.apply(.objectsFound(imageIndex: 0, suggestions: Self.suggestions()))
        XCTAssertFalse(state.document.findingObjects)
        XCTAssertTrue(Chrome.messageLine(state, width: 200).plainText.contains("Automatic: 2 masks"))
        XCTAssertTrue(Chrome.statusLine(state, width: 200).plainText.contains("2 found"))
        let scene = OverlayScene(state: state)
        XCTAssertEqual(scene.masks.map(\.outlined), [true, true])
        XCTAssertEqual(scene.masks.first?.color, EditorColors.suggestion)

        XCTAssertTrue(F.press([.character("A")], on: &state).isEmpty)
        XCTAssertTrue(state.document.suggestions.isEmpty, "A again hides them")
    }

    func testAClickInsideAnOutlineAdoptsTheMaskItMatches() throws {
        var state = F.loadedState()
        _ = state.apply(.objectsFound(imageIndex: 0, suggestions: Self.suggestions()))
        // A background point never adopts.
        let background = try XCTUnwrap(F.predictRequests(F.press([.character("x")], on: &state)).first)
        XCTAssertEqual(background.prompting.points.first?.isForeground, false)
        _ = state.apply(.prediction(requestID: background.id, result: F.result()))
        F.press([.character("c")], on: &state)

        // The cursor starts at (41, 22): inside the wide mask only.
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        XCTAssertEqual(request.prompting.points, [PromptPoint(position: PixelPoint(x: 30, y: 20.5), isForeground: true)],
                       "prompted at the suggestion's own grid point")
        XCTAssertTrue(request.prompting.multimask)
        XCTAssertEqual(state.document.suggestions.count, 1, "the adopted one leaves the outlines")
        // Candidate 0 scores best, but candidate 2 is the adopted mask (x < 60): that one is kept.
        let result = F.result(count: 3, best: 0, inside: { x, _ in x < 60 })
        var candidates = result.candidates
        candidates[0].mask = F.result(inside: { x, _ in x < 10 }).candidates[0].mask
        candidates[1].mask = F.result(inside: { x, _ in x < 30 }).candidates[0].mask
        _ = state.apply(.prediction(requestID: request.id, result: PredictionResult(candidates: candidates, best: 0)))
        XCTAssertEqual(state.currentObject?.chosen, 2)
        // Refining it works as for any object.
        let refine = try XCTUnwrap(F.predictRequests(F.press([.right, .character("x")], on: &state)).first)
        XCTAssertEqual(refine.prompting.points.count, 2)
        XCTAssertEqual(refine.prompting.maskInput?.first, 2, "the adopted candidate's logits")
    }
}
