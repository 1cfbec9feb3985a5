// What is drawn over the image, taken from the state once per frame for every renderer.
import Segmentation

struct OverlayScene {
    struct MaskLayer {
        var mask: BinaryMask
        var color: RGBColor
        /// Drawn as its outline whatever the outline mode (the automatic masks' suggestions).
        var outlined = false
        /// Identifies the layer's content, so an unchanged layer can be reused.
        var identity: MaskLayerIdentity
    }

    struct MaskLayerIdentity: Equatable, Hashable {
        var objectID: Int
        var version: Int
        var candidate: Int
        var colorIndex: Int
    }

    /// Suggestions first, other objects next, the current object last (drawn on top).
    var masks: [MaskLayer] = []
    var outline = false
    var points: [PromptPoint] = []
    var box: PromptBox?
    /// The box being drawn with `b`, from its anchor to the cursor.
    var pendingBox: PromptBox?
    var cursor: PixelPoint?

    init() {}

    init(state: EditorState) {
        let document = state.document
        if state.overlayVisible {
            outline = state.outlineMode
            for (index, suggestion) in document.suggestions.enumerated() where !state.showOnlySelected {
                masks.append(MaskLayer(mask: suggestion.mask, color: EditorColors.suggestion, outlined: true,
                                       identity: MaskLayerIdentity(objectID: -1 - index, version: document.suggestionsVersion,
                                                                   candidate: 0, colorIndex: -1)))
            }
            for (index, object) in document.objects.enumerated() where index != document.currentObject && !state.showOnlySelected {
                if let layer = Self.layer(object) { masks.append(layer) }
            }
            if let object = state.currentObject, let layer = Self.layer(object) { masks.append(layer) }
        }
        if let object = state.currentObject {
            points = object.prompting.points
            box = object.prompting.box
        }
        if let anchor = state.boxAnchor { pendingBox = PromptBox(corner: anchor, corner: state.cursor) }
        if let band = state.rubberBand { pendingBox = band }
        cursor = state.cursor
    }

    private static func layer(_ object: EditorObject) -> MaskLayer? {
        guard !object.prompting.isEmpty, let candidate = object.chosenCandidate else { return nil }
        return MaskLayer(mask: candidate.mask, color: object.color,
                         identity: MaskLayerIdentity(objectID: object.id, version: object.candidatesVersion,
                                                     candidate: object.chosen, colorIndex: object.colorIndex))
    }

    var maskIdentities: [MaskLayerIdentity] { masks.map(\.identity) }
}
