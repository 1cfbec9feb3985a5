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
            // With "more like this", only the masks it ranks best, the highlighted one in its own colour.
            let likeThis = document.likeThis?.query != nil ? document.likeThisShown : nil
            for (index, suggestion) in document.suggestions.enumerated() where !state.showOnlySelected {
                var color = EditorColors.suggestion
                if let likeThis {
                    guard let rank = likeThis.firstIndex(of: index) else { continue }
                    if rank == document.likeThis?.selected { color = EditorColors.likeThisSelected }
                }
                masks.append(MaskLayer(mask: suggestion.mask, color: color, outlined: true,
                                       identity: MaskLayerIdentity(objectID: -1 - index, version: document.suggestionsVersion,
                                                                   candidate: 0, colorIndex: color == EditorColors.suggestion ? -1 : -3)))
            }
            for (index, object) in document.objects.enumerated() where index != document.currentObject && !state.showOnlySelected {
                if let layer = Self.layer(object) { masks.append(layer) }
            }
            if let object = state.currentObject, let layer = Self.layer(object) { masks.append(layer) }
        }
        if state.paintMode, let brush = Self.brush(state) { masks.append(brush) }
        if let object = state.currentObject {
            points = object.prompting.points
            box = object.prompting.box
        }
        if let anchor = state.boxAnchor { pendingBox = PromptBox(corner: anchor, corner: state.cursor) }
        if let band = state.rubberBand { pendingBox = band }
        cursor = state.cursor
    }

    private static func layer(_ object: EditorObject) -> MaskLayer? {
        guard let mask = object.mask else { return nil }
        return MaskLayer(mask: mask, color: object.color,
                         identity: MaskLayerIdentity(objectID: object.id, version: object.maskVersion,
                                                     candidate: object.chosen, colorIndex: object.colorIndex))
    }

    /// Paint mode's brush: its disc at the crosshair, outlined, at its size in image pixels.
    private static func brush(_ state: EditorState) -> MaskLayer? {
        let document = state.document
        guard let width = document.width, let height = document.height else { return nil }
        let size = EditorState.displayMaskSize(width: width, height: height)
        let radius = state.currentBrushRadius
        let disc = MaskEdit.stroke(.init(path: [.init(x: state.cursor.x, y: state.cursor.y)], radius: radius, erases: false))
        let mask = MaskSculpting.apply(disc, to: BinaryMask(width: size.width, height: size.height), imageWidth: width, imageHeight: height)
        var place = Hasher()
        place.combine(state.cursor)
        place.combine(radius)
        return MaskLayer(mask: mask, color: EditorColors.brush, outlined: true,
                         identity: MaskLayerIdentity(objectID: Int.min, version: place.finalize(), candidate: 0, colorIndex: -2))
    }

    var maskIdentities: [MaskLayerIdentity] { masks.map(\.identity) }
}
