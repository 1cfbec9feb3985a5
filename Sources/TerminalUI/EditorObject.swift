// One object being segmented: its prompts, the candidates they produced, and their history.
import Segmentation

/// Where an object's candidates stand relative to its prompts.
public enum PredictionStatus: Equatable, Sendable {
    /// No prompts, no candidates.
    case idle
    /// A request for the current prompts is with the predictor.
    case pending(requestID: Int)
    /// The candidates belong to the current prompts.
    case current
    /// The candidates belong to older prompts and no request is in flight (the predictor dropped
    /// it, for instance because another image became active); predicted again when possible.
    case stale
    case failed(String)
}

/// A point in an object's prompt history: what undo and redo restore.
struct ObjectEdit: Sendable {
    var prompting: Prompt
    var chosen: Int
}

public struct EditorObject: Sendable {
    /// Stable within its image; numbers the object for display and export.
    public let id: Int
    public var name: String?
    public var colorIndex: Int
    public var prompting = Prompt()
    public var candidates: [MaskCandidate] = []
    public var chosen = 0
    public var prediction = PredictionStatus.idle
    /// The candidate to show when the pending prediction arrives (undo keeps the earlier
    /// choice); nil takes the best-scoring one.
    var choiceAfterPrediction: Int?
    /// Changes whenever new candidates arrive, so renderers can tell a mask layer is unchanged.
    public var candidatesVersion = 0
    var undoStack: [ObjectEdit] = []
    var redoStack: [ObjectEdit] = []

    /// Undo keeps this many steps per object; each holds at most one set of low-res logits.
    static let historyLimit = 100

    public init(id: Int, colorIndex: Int, name: String? = nil) {
        self.id = id
        self.colorIndex = colorIndex
        self.name = name
    }

    public var displayName: String { name ?? "object \(id)" }
    public var color: RGBColor { Palette.objectColor(colorIndex) }

    public var chosenCandidate: MaskCandidate? {
        candidates.indices.contains(chosen) ? candidates[chosen] : nil
    }

    /// Whether the object has anything worth keeping or exporting.
    public var hasMask: Bool { !prompting.isEmpty && !candidates.isEmpty }

    public var canUndo: Bool { !undoStack.isEmpty }
    public var canRedo: Bool { !redoStack.isEmpty }

    /// The predictions behind the current prompts: the undo stack is always the chain of
    /// predecessors, and the chain starts at the last step that had no mask input.
    var steps: [Session.Step] {
        let chain = undoStack + [ObjectEdit(prompting: prompting, chosen: chosen)]
        guard !prompting.isEmpty else { return [] }
        let start = chain.lastIndex { $0.prompting.maskInput == nil } ?? 0
        return chain[start...].map { edit in
            Session.Step(points: edit.prompting.points.map { Session.Point(x: Double($0.x), y: Double($0.y), foreground: $0.isForeground) },
                         box: edit.prompting.box.map { Session.Box(x0: Double($0.x0), y0: Double($0.y0), x1: Double($0.x1), y1: Double($0.y1)) },
                         multimask: edit.prompting.multimask, maskInput: edit.prompting.maskInput != nil, candidate: edit.chosen)
        }
    }

    /// Records the present before a prompt change, so undo can come back to it.
    mutating func recordHistory() {
        undoStack.append(ObjectEdit(prompting: prompting, chosen: chosen))
        if undoStack.count > Self.historyLimit { undoStack.removeFirst(undoStack.count - Self.historyLimit) }
        redoStack.removeAll()
    }

    /// Steps back (or forward) in history; false when there is nothing to step to.
    mutating func stepHistory(undo: Bool) -> Bool {
        guard let edit = undo ? undoStack.popLast() : redoStack.popLast() else { return false }
        let present = ObjectEdit(prompting: prompting, chosen: chosen)
        if undo { redoStack.append(present) } else { undoStack.append(present) }
        prompting = edit.prompting
        chosen = edit.chosen
        return true
    }
}
