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

    /// Outlines only mean something with the overlay on.
    mutating func toggleOutline() -> [EditorEffect] {
        outlineMode.toggle()
        overlayVisible = true
        return say(outlineMode ? "Outline mode" : "Filled masks")
    }
}
