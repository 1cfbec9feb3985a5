// One object being segmented: its prompts and the candidates they produced. (Undo is the
// image's: ImageHistory.)
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

/// The prediction a set of candidates came from: the predictions whose kept candidates fed into
/// it, and its own step (whose `candidate` is whichever candidate is chosen now).
struct CandidatesOrigin: Sendable {
    var lineage: [Session.Step]
    var step: Session.Step

    /// The steps that reproduce candidate `chosen` of this prediction.
    func steps(choosing chosen: Int) -> [Session.Step] {
        var last = step
        last.candidate = chosen
        return lineage + [last]
    }
}

public struct EditorObject: Sendable {
    /// Stable within its image; numbers the object for display and export.
    public internal(set) var id: Int
    public var name: String?
    /// Its class (dataset exports use it, else the name).
    public var category: String?
    /// A detector's confidence (`segment --boxes`), kept through saves.
    public var confidence: Double?
    /// An imported mask (Session.Object.base): shown while there is no prediction, and what the
    /// first prediction refines (its mask input is this mask, at the display size, with the
    /// edits). `baseMask` is it at the display size.
    public internal(set) var base: Session.BaseMask?
    var baseMask: BinaryMask?
    public var colorIndex: Int
    public var color: RGBColor
    public var prompting = Prompt()
    public var candidates: [PredictedMask] = []
    public var chosen = 0
    public var prediction = PredictionStatus.idle
    /// Brush strokes and clean-ups, oldest first (MaskEdit): a layer over the chosen candidate
    /// that stays when the prompts are predicted again (SessionReplay's protocol).
    public var edits: [MaskEdit] = []
    /// Set when the current prompt's mask input was made from the edited mask (`r`): how many
    /// edits it held (the session step's `maskInputEdits`).
    var maskInputEdits: Int?
    /// The chosen candidate with the edits applied (and, with no overlaps, without the objects
    /// before it): what is shown, saved and exported. Derived state, kept in step with the
    /// candidates and edits after every update (SculptedMasks.swift).
    public internal(set) var mask: BinaryMask?
    /// The mask before no-overlaps took earlier objects' pixels out (what sessions store).
    var sculptedMask: BinaryMask?
    /// Changes whenever `mask` does, so renderers can tell a mask layer is unchanged.
    public internal(set) var maskVersion = 0
    /// What `sculptedMask` was computed from.
    var sculptedFrom: SculptSource?
    /// The candidate to show when the pending prediction arrives (undo keeps the earlier
    /// choice); nil takes the best-scoring one.
    var choiceAfterPrediction: Int?
    /// Changes whenever new candidates arrive, so renderers can tell a mask layer is unchanged.
    public var candidatesVersion = 0
    /// The predictions before the current prompt's whose kept candidates fed forward into it,
    /// oldest first; empty when the current prompt has no mask input.
    var lineage: [Session.Step] = []
    /// Where the candidates on screen came from; nil without candidates.
    var candidatesOrigin: CandidatesOrigin?
    /// Restored from a session and not yet predicted again: its candidates come from replaying
    /// the saved steps, since the mask input of its prompt is not saved.
    var awaitingReplay = false
    /// Adopted from an automatic mask: the first prediction keeps the candidate closest to it.
    var adoptedMask: BinaryMask?
    /// Made while the image's session was still being looked for: its number is known only
    /// once the session's own objects are (Update+Sessions), so none is shown until then.
    var numberPending = false

    public init(id: Int, colorIndex: Int, name: String? = nil, color: RGBColor? = nil) {
        self.id = id
        self.colorIndex = colorIndex
        self.name = name
        self.color = color ?? ObjectPalette.color(at: max(colorIndex, 0))
    }

    public var displayName: String { name ?? numberLabel }

    /// "object 3", or "new object" while its number is not known yet.
    public var numberLabel: String { numberPending ? "new object" : "object \(id)" }

    public var chosenCandidate: PredictedMask? {
        candidates.indices.contains(chosen) ? candidates[chosen] : nil
    }

    /// Whether the object has anything worth keeping or exporting: a prediction, strokes or an
    /// imported mask.
    public var hasMask: Bool {
        (!prompting.isEmpty && !candidates.isEmpty) || (prompting.isEmpty && (!edits.isEmpty || baseMask != nil))
    }

    /// The current prompt refines the imported mask: it is the object's first prediction.
    var refinesBase: Bool { baseMask != nil && lineage.isEmpty && !prompting.isEmpty }

    /// The mask a prompt refining the imported mask takes as its mask input: the base at the
    /// display size with the edits made before the prompt (SessionReplay does the same).
    func editedBase(imageWidth: Int, imageHeight: Int) -> BinaryMask? {
        baseMask.map { MaskSculpting.apply(edits.prefix(maskInputEdits ?? edits.count), to: $0, imageWidth: imageWidth,
                                           imageHeight: imageHeight) }
    }

    /// The predictions that reproduce the mask on screen, oldest first (see SessionReplay for
    /// the protocol): the candidates' own prediction and the chain of kept candidates before it.
    /// Empty when nothing is shown. While a newer prompt is being predicted, this is still the
    /// shown mask's history, so a crash loses at most the prompt change in flight.
    var steps: [Session.Step] {
        guard let origin = candidatesOrigin, !candidates.isEmpty || awaitingReplay else { return [] }
        return origin.steps(choosing: chosen)
    }

    /// The session step of the current prompt, as predicted now.
    var currentStep: Session.Step {
        Self.step(for: prompting, candidate: chosen, maskInputEdits: maskInputEdits)
    }

    static func step(for prompting: Prompt, candidate: Int, maskInputEdits: Int? = nil) -> Session.Step {
        Session.Step(points: prompting.points.map { Session.Point(x: Double($0.x), y: Double($0.y), foreground: $0.isForeground) },
                     box: prompting.box.map { Session.Box(x0: Double($0.x0), y0: Double($0.y0), x1: Double($0.x1), y1: Double($0.y1)) },
                     multimask: prompting.multimask, maskInput: prompting.maskInput != nil,
                     maskInputEdits: prompting.maskInput != nil ? maskInputEdits : nil, candidate: candidate)
    }
}
