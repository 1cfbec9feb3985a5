// The update's view: the terminal's size, the cursor, zoom, and how masks are drawn.
import Segmentation

extension EditorState {
    static let zoomStep = 1.5

    mutating func resize(to size: TerminalSize) -> [EditorEffect] {
        setLayout(for: size)
        viewport?.resize(columns: layout.imageArea.width, rows: layout.imageArea.height, cellAspect: size.cellAspect)
        return []
    }

    mutating func moveCursor(columns: Int, rows: Int) -> [EditorEffect] {
        guard var view = viewport else { return [] }
        cursor = view.moveCursor(from: cursor, columns: columns, rows: rows)
        viewport = view
        extendStroke()
        return []
    }

    /// Zooms around the cursor.
    mutating func zoom(in zoomingIn: Bool) -> [EditorEffect] {
        viewport?.zoom(by: zoomingIn ? Self.zoomStep : 1 / Self.zoomStep, around: cursor)
        return []
    }

    mutating func zoomToFit() -> [EditorEffect] {
        viewport?.zoomToFit()
        return []
    }

    mutating func toggleOverlay() -> [EditorEffect] {
        overlayVisible.toggle()
        return say(overlayVisible ? "Overlay on" : "Overlay off")
    }

    /// The other objects' masks hide (and show again); the overlay comes on to show the one.
    mutating func toggleShowOnlySelected() -> [EditorEffect] {
        showOnlySelected.toggle()
        if showOnlySelected { overlayVisible = true }
        return say(showOnlySelected ? "Only the selected object shows: s shows all" : "All objects show")
    }

    /// Outlines only mean something with the overlay on.
    mutating func toggleOutline() -> [EditorEffect] {
        outlineMode.toggle()
        overlayVisible = true
        return say(outlineMode ? "Outline mode" : "Filled masks")
    }
}

extension EditorState {
    /// Pans the view by whole cells (positive: towards the image's right / bottom), keeping the
    /// crosshair on screen.
    mutating func panView(columns: Int, rows: Int) {
        guard var view = viewport, columns != 0 || rows != 0 else { return }
        view.pan(columns: columns, rows: rows)
        viewport = view
        keepCursorInView()
    }

    /// A pan key: a quarter of the image area in the key's direction.
    mutating func panStep(columns: Int, rows: Int) -> [EditorEffect] {
        guard let view = viewport else { return [] }
        let before = view
        panView(columns: columns * max(view.columns / 4, 1), rows: rows * max(view.rows / 4, 1))
        if viewport == before { return say(view.zoom > 1.001 ? "The view is at the image's edge" : "The whole image shows: zoom in (+ or the wheel) to pan") }
        return []
    }

    /// Pulls the crosshair into the visible part of the image after the view moved under it.
    mutating func keepCursorInView() {
        guard let view = viewport else { return }
        let visible = view.visibleImageCells
        guard visible.width > 0, visible.height > 0 else { return }
        let cell = view.cell(containing: cursor)
        let clamped = CellPosition(column: min(max(cell.column, visible.column), visible.column + visible.width - 1),
                                   row: min(max(cell.row, visible.row), visible.row + visible.height - 1))
        if clamped != cell { cursor = view.clampedToImage(view.imagePoint(atCell: clamped)) }
    }
}
