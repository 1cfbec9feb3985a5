// What is drawn over the image, taken from the state once per frame for every renderer.
import Segmentation

struct OverlayScene {
    struct MaskLayer {
        var mask: BinaryMask
        var color: RGBColor
        /// Identifies the layer's content, so an unchanged layer can be reused.
        var identity: MaskLayerIdentity
    }

    struct MaskLayerIdentity: Equatable, Hashable {
        var objectID: Int
        var version: Int
        var candidate: Int
        var colorIndex: Int
    }

    /// Other objects first, the current object last (drawn on top).
    var masks: [MaskLayer] = []
    var outline = false
    var points: [PromptPoint] = []
    var box: PromptBox?
    /// The box being drawn with `b`, from its anchor to the cursor.
    var pendingBox: PromptBox?
    var cursor: PixelPoint?

    init() {}

    init(state: EditorState) {
        let slot = state.slot
        if state.overlayVisible {
            outline = state.outlineMode
            for (index, object) in slot.objects.enumerated() where index != slot.currentObject {
                if let layer = Self.layer(object) { masks.append(layer) }
            }
            if let object = state.currentObject, let layer = Self.layer(object) { masks.append(layer) }
        }
        if let object = state.currentObject {
            points = object.prompting.points
            box = object.prompting.box
        }
        if let anchor = state.boxAnchor { pendingBox = PromptBox(corner: anchor, corner: state.cursor) }
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
