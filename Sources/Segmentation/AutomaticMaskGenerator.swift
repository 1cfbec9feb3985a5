// "Segment everything": the official automatic mask generator (SAM2AutomaticMaskGenerator, or
// SamAutomaticMaskGenerator for SAM 1 models) run by the engine, results as Swift values.

import SamEngine

/// The generator's settings, named as the official generator's arguments.
public struct AutomaticMaskOptions: Equatable, Sendable {
    public var pointsPerSide: Int
    public var pointsPerBatch: Int
    public var predIoUThresh: Float
    public var stabilityScoreThresh: Float
    public var stabilityScoreOffset: Float
    public var maskThreshold: Float
    public var boxNMSThresh: Float
    public var cropNLayers: Int
    public var cropNMSThresh: Float
    public var cropOverlapRatio: Double
    public var cropNPointsDownscaleFactor: Int
    public var minMaskRegionArea: Int
    /// SAM 2 only: one refinement step with each mask as the mask input of its point.
    public var useM2M: Bool
    /// SAM 2 only: three candidates per point (SAM 1 always decodes three).
    public var multimaskOutput: Bool

    /// The official generator's defaults for the model's family (SAM 1: predIoUThresh 0.88).
    public static func defaults(for model: Model) -> AutomaticMaskOptions {
        AutomaticMaskOptions(sam_auto_default_options(model.handle))
    }

    init(_ raw: sam_auto_options) {
        pointsPerSide = Int(raw.points_per_side)
        pointsPerBatch = Int(raw.points_per_batch)
        predIoUThresh = raw.pred_iou_thresh
        stabilityScoreThresh = raw.stability_score_thresh
        stabilityScoreOffset = raw.stability_score_offset
        maskThreshold = raw.mask_threshold
        boxNMSThresh = raw.box_nms_thresh
        cropNLayers = Int(raw.crop_n_layers)
        cropNMSThresh = raw.crop_nms_thresh
        cropOverlapRatio = raw.crop_overlap_ratio
        cropNPointsDownscaleFactor = Int(raw.crop_n_points_downscale_factor)
        minMaskRegionArea = Int(raw.min_mask_region_area)
        useM2M = raw.use_m2m != 0
        multimaskOutput = raw.multimask_output != 0
    }

    var raw: sam_auto_options {
        sam_auto_options(
            points_per_side: Int32(clamping: pointsPerSide), points_per_batch: Int32(clamping: pointsPerBatch),
            pred_iou_thresh: predIoUThresh, stability_score_thresh: stabilityScoreThresh,
            stability_score_offset: stabilityScoreOffset, mask_threshold: maskThreshold, box_nms_thresh: boxNMSThresh,
            crop_n_layers: Int32(clamping: cropNLayers), crop_nms_thresh: cropNMSThresh,
            crop_overlap_ratio: cropOverlapRatio,
            crop_n_points_downscale_factor: Int32(clamping: cropNPointsDownscaleFactor),
            min_mask_region_area: Int32(clamping: minMaskRegionArea), use_m2m: useM2M ? 1 : 0,
            multimask_output: multimaskOutput ? 1 : 0, progress: nil, progress_user: nil)
    }
}

/// Where a generator run stands: grid points decoded of the run's total, crops finished.
public struct AutomaticMaskProgress: Equatable, Sendable {
    public var pointsDone: Int
    public var pointsTotal: Int
    public var cropsDone: Int
    public var cropsTotal: Int

    public init(pointsDone: Int, pointsTotal: Int, cropsDone: Int, cropsTotal: Int) {
        self.pointsDone = pointsDone
        self.pointsTotal = pointsTotal
        self.cropsDone = cropsDone
        self.cropsTotal = cropsTotal
    }
}

/// The Swift closure behind the C progress callback, kept alive for the call.
private final class ProgressHandler {
    let body: (AutomaticMaskProgress) -> Bool
    init(_ body: @escaping (AutomaticMaskProgress) -> Bool) { self.body = body }
}

/// One generated mask with the official generator's record fields.
public struct AutomaticMask: Equatable, Sendable {
    public let segmentation: RLE
    public let area: Int
    /// x, y, width, height; width and height are last minus first column / row, as the reference writes them.
    public let bbox: [Double]
    public let predictedIoU: Float
    public let stabilityScore: Float
    /// The grid point that prompted the mask, in image pixels.
    public let pointCoords: [Double]
    /// The crop the mask was found in: x, y, width, height.
    public let cropBox: PixelBox

    public init(segmentation: RLE, area: Int, bbox: [Double], predictedIoU: Float, stabilityScore: Float,
                pointCoords: [Double], cropBox: PixelBox) {
        self.segmentation = segmentation
        self.area = area
        self.bbox = bbox
        self.predictedIoU = predictedIoU
        self.stabilityScore = stabilityScore
        self.pointCoords = pointCoords
        self.cropBox = cropBox
    }
}

extension Predictor {
    /// Runs the automatic mask generator on `image` (options: the model family's defaults).
    /// The predictor ends up holding the embedding of the last crop it encoded: set the image
    /// again before prompting it. Throws `EngineError` .argument for invalid options.
    ///
    /// `progress` is called on this thread before the first batch of points and after each;
    /// returning false stops the run at that batch boundary, which then throws `EngineError`
    /// with status `.cancelled`.
    public func generateMasks(image: RGBImage, options: AutomaticMaskOptions? = nil,
                              progress: ((AutomaticMaskProgress) -> Bool)? = nil) throws -> [AutomaticMask] {
        var raw = (options ?? AutomaticMaskOptions.defaults(for: model)).raw
        let handler = progress.map(ProgressHandler.init)
        if let handler {
            raw.progress_user = Unmanaged.passUnretained(handler).toOpaque()
            raw.progress = { user, report in
                guard let user, let report else { return 0 }
                let handler = Unmanaged<ProgressHandler>.fromOpaque(user).takeUnretainedValue()
                let where_ = AutomaticMaskProgress(pointsDone: Int(report.pointee.points_done),
                                                   pointsTotal: Int(report.pointee.points_total),
                                                   cropsDone: Int(report.pointee.crops_done),
                                                   cropsTotal: Int(report.pointee.crops_total))
                return handler.body(where_) ? 0 : 1
            }
        }
        var result: OpaquePointer?
        try withExtendedLifetime(handler) {
            try image.pixels.withUnsafeBufferPointer { pixels in
                try EngineError.check {
                    sam_predictor_generate_masks(handle, pixels.baseAddress, Int32(image.width), Int32(image.height),
                                                 &raw, &result, $0)
                }
            }
        }
        defer { sam_auto_masks_free(result) }
        var masks: [AutomaticMask] = []
        for index in 0..<sam_auto_masks_count(result) {
            var info = sam_auto_mask_info()
            guard sam_auto_masks_info(result, index, &info) != 0, let counts = sam_auto_masks_rle(result, index) else {
                throw EngineError(status: .internal, message: "automatic mask \(index) could not be read")
            }
            let rle = try RLE(height: image.height, width: image.width,
                              counts: Array(UnsafeBufferPointer(start: counts, count: Int(info.rle_length))))
            masks.append(AutomaticMask(
                segmentation: rle, area: Int(info.area),
                bbox: [info.bbox.0, info.bbox.1, info.bbox.2, info.bbox.3].map(Double.init),
                predictedIoU: info.predicted_iou, stabilityScore: info.stability_score,
                pointCoords: [Double(info.point.0), Double(info.point.1)],
                cropBox: PixelBox(x: Int(info.crop_box.0), y: Int(info.crop_box.1),
                                  width: Int(info.crop_box.2), height: Int(info.crop_box.3))))
        }
        return masks
    }
}
