// The CPU's decoder plan against the plain port of the mask decoder, in one process: the same
// image embedding (written by one model, read by the other), the same prompts, the two paths.
// The parity tests hold both to the reference on the fixture cases; these add prompts the
// fixtures lack (many points, so that the plan's reference order runs by itself; refinements
// with a mask input; every multimask setting) and hold the plan to the port more tightly.

import Foundation
import Segmentation
import XCTest

final class DecoderPlanTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Points spread over a width x height image, alternately foreground and background.
    static func points(_ count: Int, width: Int, height: Int) -> [PromptPoint] {
        var random = SplitMix64(seed: UInt64(count))
        return (0..<count).map { index in
            PromptPoint(x: Float(random.next() % UInt64(width)), y: Float(random.next() % UInt64(height)),
                        label: index % 3 == 2 ? .background : .foreground)
        }
    }

    static func prompts(width: Int, height: Int) -> [(String, Prompt)] {
        let box = PromptBox(x0: Float(width) * 0.2, y0: Float(height) * 0.25, x1: Float(width) * 0.7, y1: Float(height) * 0.8)
        var prompts: [(String, Prompt)] = []
        for multimask in [true, false] {
            for count in [1, 3, 12, 24] {
                prompts.append(("\(count) points, multimask \(multimask)",
                                Prompt(points: points(count, width: width, height: height), multimask: multimask)))
            }
            prompts.append(("box, multimask \(multimask)", Prompt(box: box, multimask: multimask)))
            prompts.append(("box and 5 points, multimask \(multimask)",
                            Prompt(points: points(5, width: width, height: height), box: box, multimask: multimask)))
        }
        return prompts
    }

    func temporaryPath(_ name: String) -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("decoder-plan-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder.appendingPathComponent(name).path
    }

    /// Every prompt, and a refinement of each with its best candidate's logits as mask input,
    /// through the plan in `order` and through the port, from one embedding.
    func assertPlanMatchesPort(checkpoint: String, image: RGBImage, order: DecoderOrder) throws {
        let plan = try Model(path: checkpoint, device: .cpu, decoderOrder: order)
        let port = try Model(path: checkpoint, device: .cpu, kernels: .generic)
        XCTAssertEqual(plan.kernels, "cpu-kernels")
        let planned = try Predictor(model: plan)
        try planned.setImage(image)
        let embedding = temporaryPath("image.samembed")
        try planned.saveEmbedding(path: embedding, imageKey: "plan")
        let ported = try Predictor(model: port)
        try ported.loadEmbedding(path: embedding, imageKey: "plan")

        var worstLogit: Float = 0
        for (name, prompt) in Self.prompts(width: image.width, height: image.height) {
            let first = (try planned.predict(prompt), try ported.predict(prompt))
            var refined = prompt
            refined.maskInput = first.1.lowResLogits(at: first.1.best)
            let second = (try planned.predict(refined), try ported.predict(refined))
            for (label, (a, b)) in [("\(name)", first), ("\(name), refined", second)] {
                let context = "\(order) order, \(label)"
                XCTAssertEqual(a.count, b.count, context)
                for index in 0..<a.count {
                    XCTAssertEqual(a.scores[index], b.scores[index], accuracy: 1e-5, "\(context): score \(index)")
                    let difference = zip(a.lowResLogits(at: index), b.lowResLogits(at: index)).map { abs($0 - $1) }.max() ?? 0
                    worstLogit = max(worstLogit, difference)
                    // Measured 8.6e-05 (SAM 1) on one EPYC, 1.02e-04 on another (OpenBLAS picks
                    // its kernels per CPU): sums of hundreds of products in another order.
                    XCTAssertLessThanOrEqual(difference, 2e-4, "\(context): logits of candidate \(index)")
                    // The random-weight fixtures' masks are speckled, with many logits near the
                    // threshold: a difference of 1e-5 flips a few of their pixels.
                    let iou = try XCTUnwrap(a.mask(at: index)).iou(try XCTUnwrap(b.mask(at: index)))
                    XCTAssertGreaterThanOrEqual(iou, 0.99, "\(context): mask \(index)")
                }
            }
        }
        print("decoder plan (\(order) order) against the port: worst logit difference \(worstLogit)")
    }

    func imageFixture(_ path: String) throws -> RGBImage {
        let array = try NumpyArray.read(path: Self.fixtures.appendingPathComponent(path).path)
        return RGBImage(width: array.shape[1], height: array.shape[0], pixels: try XCTUnwrap(array.bytes))
    }

    func testSam2PlanMatchesThePlainPortInEveryOrder() throws {
        let checkpoint = Self.fixtures.appendingPathComponent("sam2/tiny_sam2.1.pt").path
        for order in DecoderOrder.allCases {
            try assertPlanMatchesPort(checkpoint: checkpoint, image: try imageFixture("sam2/image_wide.npy"), order: order)
        }
    }

    func testSam1PlanMatchesThePlainPortInEveryOrder() throws {
        let checkpoint = Self.fixtures.appendingPathComponent("sam1/tiny_sam1.pth").path
        for order in DecoderOrder.allCases {
            try assertPlanMatchesPort(checkpoint: checkpoint, image: try imageFixture("sam1/image_strip.npy"), order: order)
        }
    }
}
