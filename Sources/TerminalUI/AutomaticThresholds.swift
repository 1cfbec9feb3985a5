// The automatic mask generator's two filters the editor lets the user change, and where a run
// of it stands: what the status line shows while it works and after.
import Foundation
import Segmentation

/// The generator keeps a mask when its predicted IoU is above `predictedIoU` and its stability
/// score at least `stability` (the official generator's pred_iou_thresh, stability_score_thresh).
public struct AutomaticThresholds: Equatable, Sendable {
    public var predictedIoU: Float
    public var stability: Float

    public init(predictedIoU: Float, stability: Float) {
        self.predictedIoU = predictedIoU
        self.stability = stability
    }

    /// SAM2AutomaticMaskGenerator's defaults (SAM 1's generator asks for IoU 0.88); the engine
    /// says which apply once the model is loaded.
    public static let sam2Defaults = AutomaticThresholds(predictedIoU: 0.8, stability: 0.95)

    /// What `t` steps through, strictest first: each lets more masks through.
    public static let levels = [
        AutomaticThresholds(predictedIoU: 0.88, stability: 0.95),
        AutomaticThresholds(predictedIoU: 0.8, stability: 0.95),
        AutomaticThresholds(predictedIoU: 0.7, stability: 0.9),
        AutomaticThresholds(predictedIoU: 0.5, stability: 0.8),
    ]

    /// The next laxer level, back to the strictest after the laxest.
    public var lowered: AutomaticThresholds {
        Self.levels.first { $0.predictedIoU < predictedIoU - 0.001 } ?? Self.levels[0]
    }

    /// "IoU 0.80, stability 0.95".
    public var description: String {
        String(format: "IoU %.2f, stability %.2f", predictedIoU, stability)
    }

    /// The engine's options for a run with these thresholds.
    func applied(to options: AutomaticMaskOptions) -> AutomaticMaskOptions {
        var options = options
        options.predIoUThresh = predictedIoU
        options.stabilityScoreThresh = stability
        return options
    }
}

/// The latest report of a generator run in progress.
public struct FindingProgress: Equatable, Sendable {
    public var progress: AutomaticMaskProgress
    /// Seconds since the run started, when the report was made.
    public var elapsed: Double

    /// Seconds left at the pace so far; nil before the first batch is done.
    public var secondsLeft: Double? {
        guard progress.pointsDone > 0, progress.pointsTotal > 0 else { return nil }
        let left = progress.pointsTotal - progress.pointsDone
        return elapsed / Double(progress.pointsDone) * Double(max(left, 0))
    }

    /// "Finding objects: 384/1024 points, ~40 s left".
    public var text: String {
        var text = "Finding objects: \(progress.pointsDone)/\(progress.pointsTotal) points"
        if progress.cropsTotal > 1 { text += " (crop \(min(progress.cropsDone + 1, progress.cropsTotal))/\(progress.cropsTotal))" }
        if let left = secondsLeft {
            text += left < 90 ? String(format: ", ~%.0f s left", left.rounded(.up))
                              : String(format: ", ~%.0f min left", (left / 60).rounded())
        }
        return text
    }
}

/// What the last finished run on an image found: kept on the status line until the outlines are
/// hidden, so the answer does not go with the next key.
public struct AutomaticSummary: Equatable, Sendable {
    public var found: Int
    public var thresholds: AutomaticThresholds?

    /// "Automatic: 12 masks (IoU ≥ 0.80) — click an outline to adopt", or for none
    /// "Automatic: 0 masks above IoU 0.80 — t to lower the threshold".
    public func text(remaining: Int) -> String {
        let iou = thresholds.map { String(format: "%.2f", $0.predictedIoU) } ?? "the model's default"
        let stability = thresholds.map { String(format: ", stability ≥ %.2f", $0.stability) } ?? ""
        if found == 0 { return "Automatic: 0 masks above IoU \(iou)\(stability) — t to lower the threshold, A to run again" }
        let shown = remaining == found ? "\(found) masks" : "\(remaining) of \(found) masks left"
        return "Automatic: \(shown) (IoU ≥ \(iou)\(stability)) — click an outline to adopt, A hides"
    }
}
