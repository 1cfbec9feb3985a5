// The update's mouse: clicks place points, a left drag draws a box (shown as a rubber band while
// the button is down), a middle or Shift+left drag pans, the wheel zooms at the pointer, the
// objects panel selects. In paint mode a left drag paints and a right drag erases (the pen is
// down while the button is).
import Segmentation

extension EditorState {
    /// A mouse button is down over the image (a box or a pan being dragged): motion matters.
    public var isDragging: Bool { mousePressCell != nil || panGrabCell != nil || (pen != nil && paintMode) }

    mutating func handleMouse(_ input: MouseInput) -> [EditorEffect] {
        switch mode {
        case .help:
            if input.button == .wheelUp || input.button == .wheelDown {
                return answerHelp(input.button == .wheelUp ? .up : .down)
            }
            if input.kind == .press || input.kind == .click { mode = .normal }
            return []
        case .normal:
            break
        case .moreLikeThis:
            // A click on an outline adopts it; nothing else in this mode.
            let area = layout.imageArea
            guard input.button == .left, input.kind == .release || input.kind == .click, let view = viewport,
                  area.contains(input.position) else { return [] }
            let point = view.imagePoint(atCell: CellPosition(column: input.position.column - area.column,
                                                             row: input.position.row - area.row))
            return view.contains(point) ? likeThisClick(at: view.clampedToImage(point)) : []
        default:
            return []
        }
        if panGrabCell != nil, input.kind == .motion || input.kind == .release {
            return dragPan(to: input)
        }
        if let panel = layout.objectPanel, panel.contains(input.position) {
            if input.kind != .release, input.kind != .motion, input.button == .left {
                selectObject(at: input.position.row - panel.row - ObjectPanel.firstObjectRow)
            }
            return []
        }
        let area = layout.imageArea
        guard area.contains(input.position), var view = viewport else {
            if input.kind != .motion {
                mousePressCell = nil
                rubberBand = nil
            }
            return []
        }
        let cell = CellPosition(column: input.position.column - area.column, row: input.position.row - area.row)
        let point = view.imagePoint(atCell: cell)
        if paintMode, let effects = paintWithMouse(input, at: point, in: view) { return effects }
        switch (input.button, input.kind) {
        case (.wheelUp, _), (.wheelDown, _):
            // The image point under the pointer stays under it; the crosshair follows the pointer.
            view.zoom(by: input.button == .wheelUp ? Self.zoomStep : 1 / Self.zoomStep, around: point)
            viewport = view
            if view.contains(point) { cursor = view.clampedToImage(point) }
            keepCursorInView()
            return []
        case (.middle, .press), (.left, .press) where input.button == .middle || input.shift:
            mousePressCell = nil
            rubberBand = nil
            panGrabCell = cell
            return []
        case (.left, .press):
            guard view.contains(point) else { return [] }
            message = nil
            mousePressCell = cell
            rubberBand = nil
            cursor = view.clampedToImage(point)
            return []
        case (_, .motion):
            guard let pressed = mousePressCell else { return [] }
            // The box a release here would make, drawn while the button is down.
            rubberBand = pressed == cell ? nil
                : PromptBox(corner: view.clampedToImage(view.imagePoint(atCell: pressed)), corner: view.clampedToImage(point))
            return []
        case (.left, .release):
            defer {
                mousePressCell = nil
                rubberBand = nil
            }
            guard let pressed = mousePressCell else { return [] }
            message = nil
            if pressed == cell {
                return perform(.placePoint(foreground: true))
            }
            cursor = view.clampedToImage(point)
            return finishBox(from: view.clampedToImage(view.imagePoint(atCell: pressed)), to: cursor)
        case (.left, .click), (.right, .press), (.right, .click):
            guard view.contains(point) else { return [] }
            message = nil
            mousePressCell = nil
            rubberBand = nil
            cursor = view.clampedToImage(point)
            return perform(.placePoint(foreground: input.button == .left))
        default:
            return []
        }
    }

    /// Paint mode's mouse: a press puts the pen down (left paints, right erases), motion draws,
    /// a release lifts it; a click (terminals that report only those) paints or erases a disc.
    /// Nil for what paint mode leaves to the usual handling (the wheel, panning).
    private mutating func paintWithMouse(_ input: MouseInput, at point: PixelPoint, in view: Viewport) -> [EditorEffect]? {
        switch (input.button, input.kind) {
        case (.left, .press) where !input.shift, (.right, .press):
            guard view.contains(point) else { return [] }
            let lifted = liftPen()
            cursor = view.clampedToImage(point)
            return lifted + putPenDown(erases: input.button == .right)
        case (_, .motion) where pen != nil:
            cursor = view.clampedToImage(point)
            extendStroke()
            return []
        case (_, .release) where pen != nil:
            cursor = view.clampedToImage(point)
            extendStroke()
            return liftPen()
        case (.left, .click), (.right, .click):
            guard view.contains(point) else { return [] }
            cursor = view.clampedToImage(point)
            return paintDisc(erases: input.button == .right)
        default:
            return nil
        }
    }

    /// The grabbed image follows the pointer: moving it right shows more of the image's left.
    /// A release ends the drag (and pans the rest of the way, for terminals that report no motion).
    private mutating func dragPan(to input: MouseInput) -> [EditorEffect] {
        guard let grab = panGrabCell else { return [] }
        let area = layout.imageArea
        let cell = CellPosition(column: input.position.column - area.column, row: input.position.row - area.row)
        panView(columns: grab.column - cell.column, rows: grab.row - cell.row)
        panGrabCell = input.kind == .release ? nil : cell
        return []
    }
}
