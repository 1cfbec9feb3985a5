// Half precision as the official code runs SAM 2 on a GPU (torch.autocast with bfloat16): the
// products in bf16, layer norms, softmax and the outputs in float32. On the CPU it runs the
// generic path; its numbers are held to float32's on the parity fixtures.

import Foundation
import Segmentation
import XCTest

final class PrecisionTests: XCTestCase {
    /// The largest low-res logit difference from float32 measured on the fixtures: with bf16 (8
    /// bits of mantissa) 0.50 on LibTorch 1.13 and 0.53 on 2.15, where the largest logits are 32;
    /// with fp16 (11 bits, CPU autocast from LibTorch 2.x) 0.06. docs/parity.md has the figures.
    static let logitTolerance: [ComputePrecision: Float] = [.bf16: 0.75, .fp16: 0.2]
    /// The smallest mask IoU measured: bf16 0.989 on LibTorch 1.13 and 0.979 on 2.15, whose CPU
    /// autocast runs more operations in bfloat16; fp16 0.996. The random-weight fixture's masks
    /// are speckled, with most low-res logits within 0.5 of the threshold, so a few hundredths of
    /// logit flip pixels that a trained model's masks would not have.
    static let maskIoUFloor: [ComputePrecision: Double] = [.bf16: 0.975, .fp16: 0.99]

    /// A CPU without bfloat16 instructions (no AVX-512 BF16 or AMX) takes LibTorch 1.13's other
    /// bf16 products, measured far less close on a 2-core EPYC without AVX-512 (2026-12-02, the
    /// same code that met the bounds above on another EPYC): worst logit difference 4.29 (largest
    /// 32), worst mask IoU 0.16 on the speckled fixture. There the test holds the logits to 6 and
    /// the median mask IoU to 0.95 (most masks still agree), not each mask.
    static let cpuHasBF16: Bool = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        return info.contains("avx512_bf16") || info.contains("amx_bf16")
    }()

    func testHalfPrecisionStaysCloseToFloat32() throws {
        let checkpoint = Sam2ParityTests.path("tiny_sam2.1.pt")
        let reference = try Predictor(model: try Model(path: checkpoint, device: .cpu, kernels: .generic))
        for precision in [ComputePrecision.bf16, .fp16] {
            let model: Model
            do {
                model = try Model(path: checkpoint, device: .cpu, precision: precision)
            } catch let error as EngineError where precision == .fp16 && error.status == .argument {
                // LibTorch 1.13's CPU autocast runs bfloat16 only; 2.x runs both. Refused at load,
                // in words that name the precision.
                XCTAssertTrue(EngineInfo.torchVersion.hasPrefix("1."), "\(error)")
                XCTAssertTrue(error.message.contains("fp16"), error.message)
                continue
            }
            XCTAssertEqual(model.precision, precision.rawValue)
            XCTAssertEqual(model.kernels, "generic")
            let predictor = try Predictor(model: model)
            var worstLogit: Float = 0
            var largestLogit: Float = 0
            var worstIoU = 1.0
            var ious: [Double] = []
            let emulated = precision == .bf16 && !Self.cpuHasBF16
            var currentImage = ""
            for testCase in try Sam2ParityTests.manifest().cases {
                if testCase.image != currentImage {
                    let image = try Sam2ParityTests.image(testCase.image)
                    try reference.setImage(image)
                    try predictor.setImage(image)
                    currentImage = testCase.image
                }
                let prompt = try Sam2ParityTests.prompt(for: testCase)
                let expected = try reference.predict(prompt)
                let result = try predictor.predict(prompt)
                XCTAssertEqual(result.count, expected.count, testCase.name)
                for index in 0..<min(result.count, expected.count) {
                    let logits = zip(result.lowResLogits(at: index), expected.lowResLogits(at: index))
                    worstLogit = max(worstLogit, logits.map { abs($0 - $1) }.max() ?? 0)
                    largestLogit = max(largestLogit, expected.lowResLogits(at: index).map(abs).max() ?? 0)
                    let iou = try XCTUnwrap(result.mask(at: index)).iou(try XCTUnwrap(expected.mask(at: index)))
                    worstIoU = min(worstIoU, iou)
                    ious.append(iou)
                    if !emulated {
                        XCTAssertGreaterThanOrEqual(iou, try XCTUnwrap(Self.maskIoUFloor[precision]),
                                                    "\(precision) \(testCase.name): mask \(index)")
                    }
                }
            }
            print("\(precision) against fp32 on the fixtures: worst logit difference \(worstLogit) "
                  + "(largest logit \(largestLogit)), worst mask IoU \(worstIoU)")
            if emulated {
                XCTAssertLessThanOrEqual(worstLogit, 6, "bf16 without the CPU's bf16 instructions")
                XCTAssertGreaterThanOrEqual(ious.sorted()[ious.count / 2], 0.95, "bf16 without the CPU's bf16 instructions: median IoU")
            } else {
                XCTAssertLessThanOrEqual(worstLogit, try XCTUnwrap(Self.logitTolerance[precision]), "\(precision)")
            }
        }
    }
}
