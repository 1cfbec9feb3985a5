/// What a prompt point says about the pixel under it.
public enum PointLabel: Int32, Sendable, Codable, CaseIterable {
    /// Ignored: SAM's "not a point".
    case padding = -1
    case background = 0
    case foreground = 1
    case boxTopLeft = 2
    case boxBottomRight = 3
}

public struct PromptPoint: Equatable, Sendable, Codable {
    /// In pixels of the original image; (0, 0) is the top-left corner of the top-left pixel.
    public var x: Float
    public var y: Float
    public var label: PointLabel

    public init(x: Float, y: Float, label: PointLabel) {
        self.x = x
        self.y = y
        self.label = label
    }
}

/// An axis-aligned box in pixels of the original image.
public struct PromptBox: Equatable, Sendable, Codable {
    public var x0: Float
    public var y0: Float
    public var x1: Float
    public var y1: Float

    public init(x0: Float, y0: Float, x1: Float, y1: Float) {
        self.x0 = x0
        self.y0 = y0
        self.x1 = x1
        self.y1 = y1
    }
}

/// One request to the predictor: clicks, an optional box, optionally the low-resolution logits
/// of an earlier prediction to refine.
public struct Prompt: Equatable, Sendable {
    public var points: [PromptPoint]
    public var box: PromptBox?
    /// `lowResSize * lowResSize` logits (row-major), e.g. an earlier candidate's `lowResLogits`.
    public var maskInput: [Float]?
    /// Three candidates (true) or one (false).
    public var multimask: Bool

    public init(points: [PromptPoint] = [], box: PromptBox? = nil, maskInput: [Float]? = nil, multimask: Bool = true) {
        self.points = points
        self.box = box
        self.maskInput = maskInput
        self.multimask = multimask
    }
}

/// How the predictor returns masks.
public struct MaskOutputOptions: Equatable, Sendable {
    /// Size of the returned masks; nil for the original image size.
    public var size: (width: Int, height: Int)?
    /// Upsample only the best-scoring candidate (the others still get scores and low-res logits).
    public var bestMaskOnly: Bool

    public init(size: (width: Int, height: Int)? = nil, bestMaskOnly: Bool = false) {
        self.size = size
        self.bestMaskOnly = bestMaskOnly
    }

    public static func == (a: MaskOutputOptions, b: MaskOutputOptions) -> Bool {
        a.size?.width == b.size?.width && a.size?.height == b.size?.height && a.bestMaskOnly == b.bestMaskOnly
    }
}
