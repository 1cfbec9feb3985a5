// The update's mouse: clicks place points, a drag draws a box, the wheel zooms, the objects
// panel selects.
import Segmentation

extension EditorState {
    mutating func handleMouse(_ input: MouseInput) -> [EditorEffect] {
        switch mode {
        case .help:
            if input.kind != .release { mode = .normal }
            return []
        case .normal:
            break
        default:
            return []
        }
        if let panel = layout.objectPanel, panel.contains(input.position) {
            if input.kind != .release, input.button == .left {
                selectObject(at: input.position.row - panel.row - ObjectPanel.firstObjectRow)
            }
            return []
        }
        let area = layout.imageArea
        guard area.contains(input.position), var view = viewport else {
            mousePressCell = nil
            return []
        }
        let cell = CellPosition(column: input.position.column - area.column, row: input.position.row - area.row)
        let point = view.imagePoint(atCell: cell)
        switch (input.button, input.kind) {
        case (.wheelUp, _), (.wheelDown, _):
            view.zoom(by: input.button == .wheelUp ? Self.zoomStep : 1 / Self.zoomStep, around: point)
            viewport = view
            return []
        case (.left, .press):
            guard view.contains(point) else { return [] }
            message = nil
            mousePressCell = cell
            cursor = view.clampedToImage(point)
            return []
        case (.left, .release):
            defer { mousePressCell = nil }
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
            cursor = view.clampedToImage(point)
            return perform(.placePoint(foreground: input.button == .left))
        default:
            return []
        }
    }
}
