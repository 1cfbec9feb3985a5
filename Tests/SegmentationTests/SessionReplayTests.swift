import Foundation
import Segmentation
import XCTest

/// Replaying saved steps through the model gives back exactly the masks the live predictions
/// gave (tiny SAM 2.1 fixture model, Tests/Fixtures/sam2).
final class SessionReplayTests: XCTestCase {
    private typealias Support = ExportTestSupport

    private static let fixtures = Support.repositoryRoot.appendingPathComponent("Tests/Fixtures/sam2")
    private static let imagePath = fixtures.appendingPathComponent("image_wide.png").path

    // Loaded once for the class: loading and encoding the image are the slow parts.
    nonisolated(unsafe) private static var sharedModel: Model?
    nonisolated(unsafe) private static var sharedPredictor: Predictor?

    private func model() throws -> Model {
        if let model = Self.sharedModel { return model }
        let model = try Model(path: Self.fixtures.appendingPathComponent("tiny_sam2.1.pt").path, device: .cpu)
        Self.sharedModel = model
        return model
    }

    /// A second predictor with the image set, standing in for samterm after a restart.
    private func freshPredictor(_ image: RGBImage) throws -> Predictor {
        if let predictor = Self.sharedPredictor { return predictor }
        let predictor = try Predictor(model: try model())
        try predictor.setImage(image)
        Self.sharedPredictor = predictor
        return predictor
    }

    /// What the editor does: predict each step live, feeding the kept candidate's logits on,
    /// and record the steps.
    private func editLive(_ steps: [Session.Step], predictor: Predictor) throws -> (Session.Object, [BinaryMask]) {
        var object = Session.Object(id: 1, name: "thing", color: ObjectPalette.color(at: 0))
        var logits: [Float]? = nil
        var masks: [BinaryMask] = []
        for step in steps {
            let candidates = try predictor.predict(SessionReplay.prompt(for: step, maskInput: logits))
            masks.append(try XCTUnwrap(candidates.mask(at: step.candidate)))
            logits = candidates.lowResLogits(at: step.candidate)
            object.steps.append(step)
            object.mask = Session.StoredMask(mask: masks.last!, score: Double(candidates.scores[step.candidate]))
        }
        return (object, masks)
    }

    private let steps: [Session.Step] = [
        Session.Step(points: [Session.Point(x: 30, y: 20, foreground: true)], multimask: true, maskInput: false, candidate: 1),
        Session.Step(points: [Session.Point(x: 30, y: 20, foreground: true), Session.Point(x: 5, y: 5, foreground: false)],
                     multimask: false, maskInput: true, candidate: 0),
        Session.Step(points: [Session.Point(x: 30, y: 20, foreground: true), Session.Point(x: 5, y: 5, foreground: false)],
                     box: Session.Box(x0: 10, y0: 8, x1: 55, y1: 40), multimask: true, maskInput: true, candidate: 2),
    ]

    func testReplayGivesTheLiveMasksThroughASavedSession() throws {
        let image = try RGBImage.load(path: Self.imagePath)
        let live = try Predictor(model: try model())
        try live.setImage(image)
        let (object, liveMasks) = try editLive(steps, predictor: live)

        let folder = try Support.makeScratchFolder(self)
        let store = SessionStore(imagePath: folder + "/image_wide.png")
        let hash = try SHA256.hexDigest(ofFileAt: Self.imagePath)
        try store.save(Session(image: .init(path: Self.imagePath, sha256: hash, width: image.width, height: image.height),
                               model: try model().name, objects: [object]))
        let loaded = try XCTUnwrap(try store.load(imageSHA256: hash, model: try model().name))

        // A fresh predictor, as after a restart.
        let fresh = try freshPredictor(image)
        let replayed = try XCTUnwrap(try SessionReplay.replay(loaded.objects[0], with: fresh, imageWidth: image.width, imageHeight: image.height))
        XCTAssertEqual(replayed.chosen, 2)
        XCTAssertEqual(replayed.mask, liveMasks.last!, "replay must recompute the identical mask")
        XCTAssertEqual(replayed.mask, try loaded.objects[0].mask!.decode(width: image.width, height: image.height))
        XCTAssertEqual(Double(replayed.score), loaded.objects[0].mask!.score)
        XCTAssertEqual(replayed.lowResLogits.count, try model().lowResSize * model().lowResSize)

        // Each prefix of the steps replays to the mask the editor showed at that point.
        for count in 1..<steps.count {
            var prefix = loaded.objects[0]
            prefix.steps = Array(steps.prefix(count))
            XCTAssertEqual(try SessionReplay.replay(prefix, with: fresh, imageWidth: image.width, imageHeight: image.height)?.mask, liveMasks[count - 1], "after step \(count)")
        }
        // The mask input matters: dropping it changes the refined result.
        var withoutFeedback = loaded.objects[0]
        withoutFeedback.steps[1].maskInput = false
        withoutFeedback.steps[2].maskInput = false
        let unrefined = try XCTUnwrap(try SessionReplay.replay(withoutFeedback, with: fresh, imageWidth: image.width, imageHeight: image.height))
        XCTAssertNotEqual(unrefined.lowResLogits, replayed.lowResLogits)
    }

    func testObjectWithoutStepsAndBadCandidate() throws {
        let predictor = try freshPredictor(try RGBImage.load(path: Self.imagePath))
        XCTAssertNil(try SessionReplay.replay(Session.Object(id: 4, color: ObjectPalette.color(at: 3)), with: predictor, imageWidth: 1, imageHeight: 1))

        var object = Session.Object(id: 5, color: ObjectPalette.color(at: 4), steps: [steps[0]])
        object.steps[0].multimask = false
        object.steps[0].candidate = 2
        XCTAssertThrowsError(try SessionReplay.replay(object, with: predictor, imageWidth: 64, imageHeight: 64)) { error in
            XCTAssertEqual(error as? SessionReplay.ReplayError,
                           .candidateOutOfRange(objectID: 5, step: 1, candidate: 2, count: 1))
        }
    }
}
