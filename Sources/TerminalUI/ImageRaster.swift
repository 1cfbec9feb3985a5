// The visible part of the image resampled to a renderer's resolution, with the masks blended in.
import Segmentation

/// How the pixels of a raster map onto the image: raster pixel (i, j) covers image x in
/// [originX + i * stepX, originX + (i + 1) * stepX), and likewise for y.
struct RasterGeometry: Equatable {
    var width: Int
    var height: Int
    var originX: Double
    var originY: Double
    var stepX: Double
    var stepY: Double

    /// `across` x `down` raster pixels per cell over the viewport's area.
    init(viewport: Viewport, pixelsAcross across: Int, pixelsDown down: Int) {
        width = viewport.columns * across
        height = viewport.rows * down
        originX = viewport.originX
        originY = viewport.originY
        stepX = viewport.scale / Double(across)
        stepY = viewport.scale * viewport.cellAspect / Double(down)
    }

    init(width: Int, height: Int, originX: Double, originY: Double, stepX: Double, stepY: Double) {
        self.width = width
        self.height = height
        self.originX = originX
        self.originY = originY
        self.stepX = stepX
        self.stepY = stepY
    }

    /// Where an image point falls, in raster pixels (fractional).
    func rasterPosition(of point: PixelPoint) -> (x: Double, y: Double) {
        ((point.x - originX) / stepX, (point.y - originY) / stepY)
    }
}

/// RGB pixels plus which of them lie on the image (the rest is letterbox).
struct Raster: Equatable {
    let width: Int
    let height: Int
    var pixels: [UInt8]
    var covered: [Bool]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        covered = [Bool](repeating: false, count: width * height)
    }

    func color(x: Int, y: Int) -> RGBColor {
        let offset = (y * width + x) * 3
        return RGBColor(pixels[offset], pixels[offset + 1], pixels[offset + 2])
    }

    mutating func set(x: Int, y: Int, to color: RGBColor) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let offset = (y * width + x) * 3
        pixels[offset] = color.red
        pixels[offset + 1] = color.green
        pixels[offset + 2] = color.blue
    }
}

enum Compositor {
    /// Samples per axis when a raster pixel covers many image pixels: enough to keep fine
    /// detail from aliasing, bounded so a zoomed-out frame stays cheap.
    static let maximumSamplesPerAxis = 4

    /// The image under `geometry`, with the scene's masks filled (alpha 0.6) or outlined.
    /// `sampled`: the image already resampled to `geometry`, when the caller keeps it.
    static func compose(image: RGBImage, geometry: RasterGeometry, masks: [OverlayScene.MaskLayer],
                        outline: Bool, outlineThickness: Int = 1, sampled: Raster? = nil) -> Raster {
        var raster = sampled ?? sample(image: image, geometry: geometry)
        for layer in masks {
            let inside = membership(of: layer.mask, imageWidth: image.width, imageHeight: image.height, geometry: geometry)
            if outline || layer.outlined {
                drawOutline(inside: inside, color: layer.color, thickness: outlineThickness, into: &raster)
            } else {
                fill(inside: inside, color: layer.color, alpha: ObjectPalette.maskAlpha, into: &raster)
            }
        }
        return raster
    }

    /// Where the samples of each raster pixel fall along one axis, flat: `samples` image
    /// offsets per raster pixel (pixel i's at i * samples ..< (i + 1) * samples), and whether
    /// the pixel's centre is on the image at all.
    struct SampleAxis {
        let samples: Int
        var offsets: [Int]
        var onImage: [Bool]

        init(count: Int, origin: Double, step: Double, extent: Int) {
            let samples = step <= 1 ? 1 : min(Int(step.rounded(.up)), Compositor.maximumSamplesPerAxis)
            self.samples = samples
            offsets = [Int](repeating: 0, count: count * samples)
            onImage = [Bool](repeating: false, count: count)
            for index in 0..<count {
                let start = origin + Double(index) * step
                let centre = start + step / 2
                guard centre >= 0, centre < Double(extent) else { continue }
                onImage[index] = true
                for k in 0..<samples {
                    let position = start + (Double(k) + 0.5) * step / Double(samples)
                    offsets[index * samples + k] = min(max(Int(position.rounded(.down)), 0), extent - 1)
                }
            }
        }

        func covers(_ index: Int) -> Bool { onImage[index] }
    }

    /// The image resampled to the raster: each raster pixel the mean of its samples. This is
    /// the bulk of a full frame's drawing, so it runs on flat offsets and raw pointers.
    static func sample(image: RGBImage, geometry: RasterGeometry) -> Raster {
        var raster = Raster(width: geometry.width, height: geometry.height)
        let columns = SampleAxis(count: geometry.width, origin: geometry.originX, step: geometry.stepX, extent: image.width)
        let rows = SampleAxis(count: geometry.height, origin: geometry.originY, step: geometry.stepY, extent: image.height)
        let stride = image.width * 3
        let perPixel = columns.samples * rows.samples
        let width = geometry.width
        image.pixels.withUnsafeBufferPointer { source in
            raster.pixels.withUnsafeMutableBufferPointer { target in
                raster.covered.withUnsafeMutableBufferPointer { covered in
                    columns.offsets.withUnsafeBufferPointer { columnOffsets in
                        for y in 0..<geometry.height where rows.onImage[y] {
                            for x in 0..<width where columns.onImage[x] {
                                var red = 0, green = 0, blue = 0
                                for sy in 0..<rows.samples {
                                    let rowStart = rows.offsets[y * rows.samples + sy] * stride
                                    for sx in 0..<columns.samples {
                                        let offset = rowStart + columnOffsets[x * columns.samples + sx] * 3
                                        red += Int(source[offset])
                                        green += Int(source[offset + 1])
                                        blue += Int(source[offset + 2])
                                    }
                                }
                                let index = y * width + x
                                target[index * 3] = UInt8((red + perPixel / 2) / perPixel)
                                target[index * 3 + 1] = UInt8((green + perPixel / 2) / perPixel)
                                target[index * 3 + 2] = UInt8((blue + perPixel / 2) / perPixel)
                                covered[index] = true
                            }
                        }
                    }
                }
            }
        }
        return raster
    }

    /// For each raster pixel, whether its centre falls inside the mask (which may be at a lower
    /// resolution than the image).
    static func membership(of mask: BinaryMask, imageWidth: Int, imageHeight: Int, geometry: RasterGeometry) -> [Bool] {
        func indices(count: Int, origin: Double, step: Double, extent: Int, maskExtent: Int) -> [Int] {
            (0..<count).map { index in
                let centre = origin + (Double(index) + 0.5) * step
                guard centre >= 0, centre < Double(extent) else { return -1 }
                return min(Int(centre * Double(maskExtent) / Double(extent)), maskExtent - 1)
            }
        }
        let columns = indices(count: geometry.width, origin: geometry.originX, step: geometry.stepX, extent: imageWidth, maskExtent: mask.width)
        let rows = indices(count: geometry.height, origin: geometry.originY, step: geometry.stepY, extent: imageHeight, maskExtent: mask.height)
        var inside = [Bool](repeating: false, count: geometry.width * geometry.height)
        mask.bytes.withUnsafeBufferPointer { bits in
            for y in 0..<geometry.height where rows[y] >= 0 {
                let rowStart = rows[y] * mask.width
                for x in 0..<geometry.width where columns[x] >= 0 {
                    inside[y * geometry.width + x] = bits[rowStart + columns[x]] != 0
                }
            }
        }
        return inside
    }

    static func fill(inside: [Bool], color: RGBColor, alpha: Double, into raster: inout Raster) {
        // value * (1 - alpha) + channel * alpha, rounded, looked up per channel instead of
        // computed per pixel.
        let keep = 1 - alpha
        let tables = [color.red, color.green, color.blue].map { channel in
            (0...255).map { UInt8((Double($0) * keep + Double(channel) * alpha).rounded()) }
        }
        raster.pixels.withUnsafeMutableBufferPointer { pixels in
            tables[0].withUnsafeBufferPointer { red in
                tables[1].withUnsafeBufferPointer { green in
                    tables[2].withUnsafeBufferPointer { blue in
                        inside.withUnsafeBufferPointer { inside in
                            for index in inside.indices where inside[index] {
                                pixels[index * 3] = red[Int(pixels[index * 3])]
                                pixels[index * 3 + 1] = green[Int(pixels[index * 3 + 1])]
                                pixels[index * 3 + 2] = blue[Int(pixels[index * 3 + 2])]
                            }
                        }
                    }
                }
            }
        }
    }

    /// The inside pixels within `thickness` of an outside one. The raster's own edges do not
    /// count as outside: a mask cut by the view's border has no edge there.
    static func outline(of inside: [Bool], width: Int, height: Int, thickness: Int) -> [Bool] {
        func isOutside(_ x: Int, _ y: Int) -> Bool {
            guard x >= 0, y >= 0, x < width, y < height else { return false }
            return !inside[y * width + x]
        }
        var edges = [Bool](repeating: false, count: inside.count)
        for y in 0..<height {
            for x in 0..<width where inside[y * width + x] {
                var edge = false
                for distance in 1...max(thickness, 1) where !edge {
                    edge = isOutside(x - distance, y) || isOutside(x + distance, y)
                        || isOutside(x, y - distance) || isOutside(x, y + distance)
                }
                edges[y * width + x] = edge
            }
        }
        return edges
    }

    static func drawOutline(inside: [Bool], color: RGBColor, thickness: Int, into raster: inout Raster) {
        let edges = outline(of: inside, width: raster.width, height: raster.height, thickness: thickness)
        for index in edges.indices where edges[index] {
            raster.set(x: index % raster.width, y: index / raster.width, to: color)
        }
    }
}
