// Images for terminals without colour: quadrant characters (2 x 2 samples per cell), dithered.
import Segmentation

enum MonoRenderer {
    /// Indexed by the lit quadrants: 1 upper-left, 2 upper-right, 4 lower-left, 8 lower-right.
    static let quadrantGlyphs: [Character] = Array(" ▘▝▀▖▌▞▛▗▚▐▜▄▙▟█")

    /// 4 x 4 ordered-dither thresholds; fixed to the raster so still images do not shimmer.
    static let bayer: [Int] = [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5]

    static func geometry(for viewport: Viewport) -> RasterGeometry {
        RasterGeometry(viewport: viewport, pixelsAcross: 2, pixelsDown: 2)
    }

    /// Without colour a mask shows by shape: the current object's inside is drawn inverted and
    /// the other objects (every object in outline mode) as their outlines.
    static func render(image: RGBImage, viewport: Viewport, scene: OverlayScene) -> CellGrid {
        var grid = base(image: image, viewport: viewport, scene: scene)
        GlyphOverlay.draw(scene, viewport: viewport, on: &grid, colored: false)
        return grid
    }

    /// Image and masks only: what stays the same while the cursor moves.
    static func base(image: RGBImage, viewport: Viewport, scene: OverlayScene, sampled: Raster? = nil) -> CellGrid {
        let geometry = geometry(for: viewport)
        let raster = sampled ?? Compositor.sample(image: image, geometry: geometry)
        var luma = (0..<(raster.width * raster.height)).map { index -> Int in
            raster.covered[index] ? raster.color(x: index % raster.width, y: index / raster.width).luma : -1
        }
        for (position, layer) in scene.masks.enumerated() {
            let inside = Compositor.membership(of: layer.mask, imageWidth: image.width, imageHeight: image.height, geometry: geometry)
            let isCurrent = position == scene.masks.count - 1 && !layer.outlined
            if isCurrent && !scene.outline {
                for index in inside.indices where inside[index] && luma[index] >= 0 { luma[index] = 255 - luma[index] }
            } else {
                let edges = Compositor.outline(of: inside, width: raster.width, height: raster.height, thickness: 1)
                for index in edges.indices where edges[index] && luma[index] >= 0 {
                    luma[index] = luma[index] > 127 ? 0 : 255
                }
            }
        }
        return cells(luma: luma, width: raster.width, height: raster.height)
    }

    /// Thresholds each sample against the dither matrix; -1 marks samples off the image.
    static func cells(luma: [Int], width: Int, height: Int) -> CellGrid {
        var grid = CellGrid(width: width / 2, height: height / 2)
        for row in 0..<grid.height {
            for column in 0..<grid.width {
                var bits = 0
                for (bit, dx, dy) in [(1, 0, 0), (2, 1, 0), (4, 0, 1), (8, 1, 1)] {
                    let x = 2 * column + dx, y = 2 * row + dy
                    let value = luma[y * width + x]
                    let threshold = (bayer[(y % 4) * 4 + x % 4] * 255 + 127) / 16
                    if value > threshold { bits |= bit }
                }
                grid[column, row] = Cell(glyph: quadrantGlyphs[bits])
            }
        }
        return grid
    }
}
