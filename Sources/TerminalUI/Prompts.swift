// The editor's view of Segmentation's prompt types: pixel points, corners, emptiness.
import Segmentation

extension PromptPoint {
    public init(position: PixelPoint, isForeground: Bool) {
        self.init(x: Float(position.x), y: Float(position.y), label: isForeground ? .foreground : .background)
    }

    public var position: PixelPoint { PixelPoint(x: Double(x), y: Double(y)) }
    public var isForeground: Bool { label == .foreground }
}

extension PromptBox {
    /// The box spanned by two opposite corners given in any order.
    public init(corner a: PixelPoint, corner b: PixelPoint) {
        self.init(x0: Float(min(a.x, b.x)), y0: Float(min(a.y, b.y)), x1: Float(max(a.x, b.x)), y1: Float(max(a.y, b.y)))
    }

    public var topLeft: PixelPoint { PixelPoint(x: Double(x0), y: Double(y0)) }
    public var bottomRight: PixelPoint { PixelPoint(x: Double(x1), y: Double(y1)) }
}

extension Prompt {
    /// Nothing to predict from (a mask input alone is not a prompt the editor sends).
    public var isEmpty: Bool { points.isEmpty && box == nil }
}
