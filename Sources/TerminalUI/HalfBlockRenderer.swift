// Colour images as text: each cell shows two image samples, the upper as the foreground of
// "▀" and the lower as its background.
import Segmentation

enum HalfBlockRenderer {
    /// Raster pixels per cell: one across, two down.
    static func geometry(for viewport: Viewport) -> RasterGeometry {
        RasterGeometry(viewport: viewport, pixelsAcross: 1, pixelsDown: 2)
    }

    /// The cells for the viewport's area: image, masks, then the prompt marks and cursor.
    static func render(image: RGBImage, viewport: Viewport, scene: OverlayScene) -> CellGrid {
        var grid = base(image: image, viewport: viewport, scene: scene)
        GlyphOverlay.draw(scene, viewport: viewport, on: &grid, colored: true)
        return grid
    }

    /// Image and masks only: what stays the same while the cursor moves. `sampled`: the image
    /// already resampled to this renderer's geometry, when the caller keeps it.
    static func base(image: RGBImage, viewport: Viewport, scene: OverlayScene, sampled: Raster? = nil) -> CellGrid {
        cells(from: Compositor.compose(image: image, geometry: geometry(for: viewport), masks: scene.masks, outline: scene.outline,
                                       sampled: sampled))
    }

    /// Pairs raster rows into cells. Halves off the image keep the terminal's background.
    static func cells(from raster: Raster) -> CellGrid {
        var grid = CellGrid(width: raster.width, height: raster.height / 2)
        for row in 0..<grid.height {
            for column in 0..<grid.width {
                let topCovered = raster.covered[(2 * row) * raster.width + column]
                let bottomCovered = raster.covered[(2 * row + 1) * raster.width + column]
                let top = raster.color(x: column, y: 2 * row)
                let bottom = raster.color(x: column, y: 2 * row + 1)
                switch (topCovered, bottomCovered) {
                case (true, true):
                    grid[column, row] = top == bottom ? Cell(glyph: " ", background: top)
                                                      : Cell(glyph: "▀", foreground: top, background: bottom)
                case (true, false):
                    grid[column, row] = Cell(glyph: "▀", foreground: top)
                case (false, true):
                    grid[column, row] = Cell(glyph: "▄", foreground: bottom)
                case (false, false):
                    break
                }
            }
        }
        return grid
    }
}
