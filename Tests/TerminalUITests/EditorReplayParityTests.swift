// The editor's replays (export, restoring a session) and `samterm export`'s give the same masks
// for the same steps: the real worker and engine on the tiny SAM 2.1 fixture model.
import XCTest
import Foundation
import Segmentation
@testable import TerminalUI

final class EditorReplayParityTests: XCTestCase {
    private static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/sam2")
    private static let imagePath = fixtures.appendingPathComponent("image_wide.png").path

    /// A box (one candidate), a point inside it with three candidates (the last kept), then a
    /// background point refining that one.
    private let steps: [Session.Step] = {
        let box = Session.Box(x0: 20, y0: 10, x1: 60, y1: 44)
        let inside = Session.Point(x: 40, y: 25, foreground: true), outside = Session.Point(x: 22, y: 12, foreground: false)
        return [Session.Step(points: [], box: box, multimask: false, maskInput: false, candidate: 0),
                Session.Step(points: [inside], box: box, multimask: true, maskInput: true, candidate: 2),
                Session.Step(points: [inside, outside], box: box, multimask: false, maskInput: true, candidate: 0)]
    }()

    func testTheEditorAndSamtermExportReplayTheSameMasks() throws {
        let model = try Model(path: Self.fixtures.appendingPathComponent("tiny_sam2.1.pt").path, device: .cpu)
        let image = try RGBImage.load(path: Self.imagePath)

        // `samterm export --replay`: SessionReplay on a Predictor with the image set.
        let predictor = try Predictor(model: model)
        try predictor.setImage(image)
        var expected: [BinaryMask] = []
        for count in 1...steps.count {
            let object = Session.Object(id: 1, color: ObjectPalette.color(at: 0), steps: Array(steps.prefix(count)))
            expected.append(try XCTUnwrap(try SessionReplay.replay(object, with: predictor, imageWidth: image.width, imageHeight: image.height)).mask)
        }

        // The editor: its worker on the real engine, exporting and restoring.
        let (worker, recorder, jobs) = EditorFixtures.realWorker(model: model, imagePath: Self.imagePath)
        defer { worker.stop() }

        let objects = (1...steps.count).map { count in
            ObjectRecord(id: count, name: nil, color: ObjectPalette.color(at: count - 1), steps: Array(steps.prefix(count)))
        }
        worker.submit(.export(ExportRequest(imageIndex: 0, imagePath: Self.imagePath, imageWidth: image.width,
                                            imageHeight: image.height, objects: objects, directory: "/out")))
        worker.submit(.replay(ReplayRequest(id: 1, imageIndex: 0, objectID: 1, steps: steps,
                                            maskWidth: image.width, maskHeight: image.height)))
        let events = recorder.wait { events in
            events.contains { if case .exportFinished = $0 { return true } else { return false } }
                && events.contains { if case .replayed(1, _, _) = $0 { return true } else { return false } }
        }
        let exported = try XCTUnwrap(jobs.first).objects
        XCTAssertEqual(exported.map(\.mask), expected, "the editor's export replays each object to samterm export's mask")
        XCTAssertTrue(expected.allSatisfy { $0.width == image.width && $0.height == image.height })

        guard let restored = events.lazy.compactMap({ event -> (PredictionResult, [Float]?)? in
            if case .replayed(1, let result, let maskInput) = event { return (result, maskInput) } else { return nil }
        }).first else { return XCTFail(recorder.descriptions.joined(separator: "\n")) }
        XCTAssertEqual(restored.0.candidates[steps[2].candidate].mask, expected[2],
                       "restoring the session in the editor shows the mask samterm export writes")
        XCTAssertNotNil(restored.1, "the last step was given the kept logits of the step before")
    }
}
