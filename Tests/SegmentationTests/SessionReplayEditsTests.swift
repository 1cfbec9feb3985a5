import Foundation
import Segmentation
import XCTest

/// Replaying an object with mask edits and a refine step (`maskInputEdits`) gives what doing
/// the same by hand with the Predictor gives (tiny SAM 2.1 fixture model, Tests/Fixtures/sam2).
final class SessionReplayEditsTests: XCTestCase {
    private static let fixtures = ExportTestSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures/sam2")

    nonisolated(unsafe) private static var shared: (Predictor, RGBImage)?

    private func predictor() throws -> (Predictor, RGBImage) {
        if let shared = Self.shared { return shared }
        let image = try RGBImage.load(path: Self.fixtures.appendingPathComponent("image_wide.png").path)  // 64 x 48
        let predictor = try Predictor(model: try Model(path: Self.fixtures.appendingPathComponent("tiny_sam2.1.pt").path, device: .cpu))
        try predictor.setImage(image)
        Self.shared = (predictor, image)
        return (predictor, image)
    }

    private static let foreground = Session.Point(x: 30, y: 20, foreground: true)
    private static let background = Session.Point(x: 5, y: 5, foreground: false)
    private let first = Session.Step(points: [foreground], multimask: true, maskInput: false, candidate: 1)
    private let second = Session.Step(points: [foreground, background], multimask: false, maskInput: true, candidate: 0)
    /// The refine step: the same prompt, the mask input made from the edited mask.
    private let refine = Session.Step(points: [foreground, background], multimask: false, maskInput: true, maskInputEdits: 1, candidate: 0)
    private let paint = MaskEdit.stroke(.init(path: [.init(x: 8, y: 30), .init(x: 24, y: 40)], radius: 7, erases: false))
    private let erase = MaskEdit.stroke(.init(path: [.init(x: 40, y: 10), .init(x: 52, y: 22)], radius: 5, erases: true))

    private func object(steps: [Session.Step]) -> Session.Object {
        Session.Object(id: 3, name: "thing", color: ObjectPalette.color(at: 0), steps: steps, edits: [paint, erase])
    }

    func testFinalMaskWithARefineStepIsTheHandMadeOne() throws {
        let (predictor, image) = try predictor()
        let size = (width: image.width, height: image.height)
        XCTAssertTrue(SessionReplay.editingSize(width: size.width, height: size.height) == size, "a small image is edited at its size")

        // By hand: predict, predict with the kept logits, paint, refine from the painted mask, then all edits.
        let one = try predictor.predict(SessionReplay.prompt(for: first, maskInput: nil))
        let two = try predictor.predict(SessionReplay.prompt(for: second, maskInput: one.lowResLogits(at: 1)))
        let painted = MaskSculpting.apply([paint], to: try XCTUnwrap(two.mask(at: 0)), imageWidth: size.width, imageHeight: size.height)
        let three = try predictor.predict(SessionReplay.prompt(for: refine, maskInput: try predictor.maskInput(from: painted)))
        let refined = try XCTUnwrap(three.mask(at: 0))
        let expected = MaskSculpting.apply([paint, erase], to: refined, imageWidth: size.width, imageHeight: size.height)

        let replayed = try SessionReplay.finalMask(of: object(steps: [first, second, refine]), with: predictor,
                                                   imageWidth: size.width, imageHeight: size.height)
        XCTAssertEqual(replayed.mask, expected)
        XCTAssertEqual(replayed.score, three.scores[0])
        // The strokes are on top: painted pixels in, erased pixels out.
        XCTAssertTrue(replayed.mask[16, 35] && replayed.mask[8, 30])
        XCTAssertFalse(replayed.mask[46, 16] || replayed.mask[40, 10])

        // Refining from the plain candidate's logits (no maskInputEdits) predicts something else.
        var plain = refine
        plain.maskInputEdits = nil
        let unrefined = try XCTUnwrap(try SessionReplay.replay(object(steps: [first, second, plain]), with: predictor,
                                                               imageWidth: size.width, imageHeight: size.height))
        let withEdits = try XCTUnwrap(try SessionReplay.replay(object(steps: [first, second, refine]), with: predictor,
                                                               imageWidth: size.width, imageHeight: size.height))
        XCTAssertEqual(withEdits.mask, refined)
        // (The random-weight model's thresholded masks may agree; its logits do not.)
        XCTAssertNotEqual(unrefined.lowResLogits, withEdits.lowResLogits, "the edited mask input changes the prediction")
    }

    /// An object with edits and no step: an empty mask with the edits applied, no prediction.
    func testEditsWithoutStepsPaintFromNothing() throws {
        let (predictor, image) = try predictor()
        let replayed = try SessionReplay.finalMask(of: object(steps: []), with: predictor, imageWidth: image.width, imageHeight: image.height)
        let expected = MaskSculpting.apply([paint, erase], to: BinaryMask(width: image.width, height: image.height),
                                           imageWidth: image.width, imageHeight: image.height)
        XCTAssertEqual(replayed.mask, expected)
        XCTAssertNil(replayed.score)
        XCTAssertGreaterThan(replayed.mask.area, 200)
    }

    /// A refine step that asks for more edits than the object has is an error naming the step.
    func testRefiningFromMissingEditsIsAnError() throws {
        let (predictor, image) = try predictor()
        var bad = refine
        bad.maskInputEdits = 5
        XCTAssertThrowsError(try SessionReplay.finalMask(of: object(steps: [first, second, bad]), with: predictor,
                                                         imageWidth: image.width, imageHeight: image.height)) { error in
            XCTAssertTrue("\(error)".contains("object 3, step 3"), "\(error)")
        }
    }
}
