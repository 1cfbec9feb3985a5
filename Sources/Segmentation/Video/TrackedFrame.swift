// What tracking produces for one frame: every tracked object's mask at the frame's size and
// the model's object score (a logit: above 0, the model thinks the object is in the frame).

public struct TrackedObject: Equatable, Sendable {
    /// The object's id, as the prompts file gives it (positive).
    public var id: Int
    /// At the frame's size.
    public var mask: BinaryMask
    /// The object score logit.
    public var score: Float

    public init(id: Int, mask: BinaryMask, score: Float) {
        self.id = id
        self.mask = mask
        self.score = score
    }
}

public struct TrackedFrame: Equatable, Sendable {
    /// The source frame's number (FrameSource numbering, not the selection's).
    public var index: Int
    public var objects: [TrackedObject]

    public init(index: Int, objects: [TrackedObject]) {
        self.index = index
        self.objects = objects
    }
}
