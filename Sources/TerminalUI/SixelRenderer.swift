// Images as sixel graphics (through libsixel), drawn at the terminal's own pixel resolution.
import CSixel
import Dispatch
import Segmentation

enum SixelRenderer {
    static func geometry(for viewport: Viewport, cellWidth: Int, cellHeight: Int) -> RasterGeometry {
        RasterGeometry(viewport: viewport, pixelsAcross: cellWidth, pixelsDown: cellHeight)
    }

    /// The area's pixels: image, masks, prompt marks and the crosshair, ready to encode.
    static func render(image: RGBImage, viewport: Viewport, scene: OverlayScene, cellWidth: Int, cellHeight: Int) -> Raster {
        var raster = base(image: image, viewport: viewport, scene: scene, cellWidth: cellWidth, cellHeight: cellHeight)
        drawMarks(scene, viewport: viewport, cellWidth: cellWidth, cellHeight: cellHeight, into: &raster)
        return raster
    }

    /// Image and masks only: what stays the same while the cursor moves.
    static func base(image: RGBImage, viewport: Viewport, scene: OverlayScene, cellWidth: Int, cellHeight: Int,
                     sampled: Raster? = nil) -> Raster {
        var raster = Compositor.compose(image: image, geometry: geometry(for: viewport, cellWidth: cellWidth, cellHeight: cellHeight),
                                        masks: scene.masks, outline: scene.outline, outlineThickness: max(cellWidth / 5, 1),
                                        sampled: sampled)
        clearReservedColors(in: &raster)
        return raster
    }

    /// Image pixels of exactly a mark's colour move one step off it: in the palette, only marks
    /// take the marks' entries.
    static func clearReservedColors(in raster: inout Raster) {
        let reserved = EditorColors.reservedInSixel
        raster.pixels.withUnsafeMutableBufferPointer { pixels in
            for offset in stride(from: 0, to: pixels.count - 2, by: 3) {
                let r = pixels[offset], g = pixels[offset + 1], b = pixels[offset + 2]
                if reserved.contains(where: { $0.red == r && $0.green == g && $0.blue == b }) {
                    pixels[offset + 1] = g > 127 ? g - 1 : g + 1
                }
            }
        }
    }

    static func drawMarks(_ scene: OverlayScene, viewport: Viewport, cellWidth: Int, cellHeight: Int, into raster: inout Raster) {
        PixelMarks.draw(scene, geometry: geometry(for: viewport, cellWidth: cellWidth, cellHeight: cellHeight),
                        markSize: max(cellHeight / 2, 3), into: &raster)
    }

    /// Encodes RGB pixels as one sixel image (DCS ... ST), with a palette chosen for the frame
    /// (SixelPalette), or xterm's fixed palette (it posterises photographs). libsixel's band
    /// writer costs time in proportion to the colours in each band: on an 880 x 660 photo 256
    /// colours take about 55 ms, 128 about 30 ms, 64 about 20 ms here, so frames use 128, which
    /// still keeps a photograph's colours. No error diffusion: on a photo it nearly doubles the
    /// time and adds a third to the bytes, for gradients that band a little less.
    static func encode(_ raster: Raster, fixedPalette: Bool = false, paletteSize: Int = 128) throws -> [UInt8] {
        guard raster.width > 0, raster.height > 0 else { return [] }
        if !fixedPalette {
            return try encode(indexed: SixelPalette.quantize(raster.pixels, maxColors: paletteSize, reserved: EditorColors.reservedInSixel),
                              width: raster.width,
                              height: raster.height)
        }
        return try encode(raster.pixels, width: raster.width, height: raster.height, quantized: nil)
    }

    /// Pixels already reduced to a palette.
    static func encode(indexed: SixelPalette.Quantized, width: Int, height: Int) throws -> [UInt8] {
        try encode([], width: width, height: height, quantized: indexed)
    }

    /// RGB pixels with xterm's palette when `quantized` is nil.
    private static func encode(_ rgb: [UInt8], width: Int, height: Int, quantized: SixelPalette.Quantized?) throws -> [UInt8] {
        guard width > 0, height > 0 else { return [] }
        let sink = ByteSink()
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        var output: OpaquePointer?
        let write: sixel_write_function = { data, size, context in
            guard let data, let context, size > 0 else { return 0 }
            let sink = Unmanaged<ByteSink>.fromOpaque(context).takeUnretainedValue()
            data.withMemoryRebound(to: UInt8.self, capacity: Int(size)) {
                sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(size)))
            }
            return size
        }
        try check(sixel_output_new(&output, write, unmanaged.toOpaque(), nil), "creating the sixel output")
        defer { sixel_output_unref(output) }
        // The size policy orders each sixel row's colour passes to save bytes: a sixth fewer on a
        // photograph than the fast one, in about the same time (bench --editor).
        sixel_output_set_encode_policy(output, csixel_encodepolicy_size)

        var dither: OpaquePointer?
        var pixels: [UInt8]
        if var quantized {
            // Indexed pixels with our own palette: libsixel then only writes the bands.
            try check(sixel_dither_new(&dither, Int32(quantized.colorCount), nil), "creating a sixel palette")
            quantized.palette.withUnsafeMutableBufferPointer { sixel_dither_set_palette(dither, $0.baseAddress) }
            sixel_dither_set_pixelformat(dither, csixel_pixelformat_pal8)
            pixels = quantized.indices
        } else {
            dither = sixel_dither_get(SIXEL_BUILTIN_XTERM256)
            guard dither != nil else { throw SixelError(message: "libsixel has no built-in xterm palette") }
            sixel_dither_set_pixelformat(dither, csixel_pixelformat_rgb888)
            pixels = rgb
        }
        defer { sixel_dither_unref(dither) }
        sixel_dither_set_diffusion_type(dither, SIXEL_DIFFUSE_NONE)
        try pixels.withUnsafeMutableBufferPointer { buffer in
            try check(sixel_encode(buffer.baseAddress, Int32(width), Int32(height), 3, dither, output), "encoding sixel")
        }
        return sink.bytes
    }

    /// Pieces of a frame (the bands of a whole one, or the changed bands of a click) as sixel
    /// images sharing one palette chosen for all their pixels, the marks' colours reserved in it,
    /// encoded concurrently. A palette per piece would let each spend its colours on its few
    /// (a whole frame in bands about 40% more bytes), and every colour in a sixel row is one
    /// more pass over it.
    static func encodeSharingPalette(_ pieces: [Raster], paletteSize: Int = 128) throws -> [[UInt8]] {
        let quantized = SixelPalette.quantize(pieces.flatMap(\.pixels), maxColors: paletteSize, reserved: EditorColors.reservedInSixel)
        let offsets = pieces.reduce(into: [0]) { $0.append($0[$0.count - 1] + $1.width * $1.height) }
        var results = [Result<[UInt8], Error>](repeating: .success([]), count: pieces.count)
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let slots = buffer
            DispatchQueue.concurrentPerform(iterations: pieces.count) { index in
                let indices = Array(quantized.indices[offsets[index]..<offsets[index + 1]])
                slots[index] = Result {
                    try encode(indexed: SixelPalette.Quantized(palette: quantized.palette, indices: indices),
                               width: pieces[index].width, height: pieces[index].height)
                }
            }
        }
        return try results.map { try $0.get() }
    }

    private static func check(_ status: SIXELSTATUS, _ doing: String) throws {
        if csixel_failed(status) != 0 {
            throw SixelError(message: "libsixel failed \(doing) (status \(String(status, radix: 16)))")
        }
    }

    private final class ByteSink {
        var bytes: [UInt8] = []
    }
}

public struct SixelError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Pixels that marks can be drawn on: the sixel frame, or the kitty renderer's overlay.
protocol PixelCanvas {
    var width: Int { get }
    var height: Int { get }
    mutating func set(x: Int, y: Int, to color: RGBColor)
    /// The picture's colour under (x, y), where the canvas holds it (nil on a transparent overlay).
    func colorBeneath(x: Int, y: Int) -> RGBColor?
}

extension PixelCanvas {
    func colorBeneath(x: Int, y: Int) -> RGBColor? { nil }
}

extension Raster: PixelCanvas {
    func colorBeneath(x: Int, y: Int) -> RGBColor? {
        guard x >= 0, y >= 0, x < width, y < height else { return nil }
        return color(x: x, y: y)
    }
}

/// Prompt marks and the crosshair drawn into pixels, each with a rim that contrasts with the
/// picture under it (dark on light, light on dark), so it shows on any picture.
enum PixelMarks {
    static func draw<Canvas: PixelCanvas>(_ scene: OverlayScene, geometry: RasterGeometry, markSize: Int, into raster: inout Canvas) {
        drawPrompts(scene, geometry: geometry, markSize: markSize, into: &raster)
        if let cursor = scene.cursor {
            let (x, y) = position(cursor, geometry: geometry)
            drawCrosshair(x: x, y: y, markSize: markSize, into: &raster)
        }
    }

    /// The raster pixel an image point falls in.
    static func position(_ point: PixelPoint, geometry: RasterGeometry) -> (x: Int, y: Int) {
        let p = geometry.rasterPosition(of: point)
        return (Int(p.x.rounded(.down)), Int(p.y.rounded(.down)))
    }

    /// The box, the box being drawn and the points: everything but the crosshair.
    static func drawPrompts<Canvas: PixelCanvas>(_ scene: OverlayScene, geometry: RasterGeometry, markSize: Int,
                                                 into raster: inout Canvas) {
        func position(_ point: PixelPoint) -> (x: Int, y: Int) { Self.position(point, geometry: geometry) }
        if let box = scene.box { rectangle(box, color: EditorColors.box, geometry: geometry, into: &raster) }
        if let box = scene.pendingBox { rectangle(box, color: EditorColors.cursor, geometry: geometry, into: &raster) }
        let rims = scene.points.map { point -> RGBColor in
            let (x, y) = position(point.position)
            return rim(beneath: raster, x: x, y: y, radius: markSize)
        }
        for (point, rim) in zip(scene.points, rims) {
            let (x, y) = position(point.position)
            if point.isForeground {
                plus(x: x, y: y, arm: markSize, thickness: 1, gap: 0, color: EditorColors.foregroundPoint, rim: rim, into: &raster)
            } else {
                cross(x: x, y: y, arm: markSize, color: EditorColors.backgroundPoint, rim: rim, into: &raster)
            }
        }
    }

    /// A light rim where the picture around (x, y) is dark, else a dark one.
    static func rim(beneath canvas: some PixelCanvas, x: Int, y: Int, radius: Int) -> RGBColor {
        var total = 0, count = 0
        for dy in stride(from: -radius, through: radius, by: max(radius / 2, 1)) {
            for dx in stride(from: -radius, through: radius, by: max(radius / 2, 1)) {
                if let color = canvas.colorBeneath(x: x + dx, y: y + dy) {
                    total += color.luma
                    count += 1
                }
            }
        }
        guard count > 0 else { return EditorColors.darkRim }
        return total / count < 64 ? EditorColors.lightRim : EditorColors.darkRim
    }

    /// The crosshair's empty centre: wider than a point mark, so a point just placed shows in it.
    static func crosshairGap(markSize: Int) -> Int { markSize + 3 }

    /// How far the crosshair reaches from its centre, its rim included.
    static func crosshairReach(markSize: Int) -> Int { crosshairGap(markSize: markSize) + markSize + 1 }

    static func drawCrosshair<Canvas: PixelCanvas>(x: Int, y: Int, markSize: Int, into raster: inout Canvas) {
        let gap = crosshairGap(markSize: markSize)
        let rim = rim(beneath: raster, x: x, y: y, radius: gap + markSize / 2)
        plus(x: x, y: y, arm: gap + markSize, thickness: 0, gap: gap, color: EditorColors.cursor, rim: rim, into: &raster)
    }

    /// Fills a square brush of radius `radius` at (x, y), clipped to the raster.
    private static func dab(x: Int, y: Int, radius: Int, color: RGBColor, into raster: inout some PixelCanvas) {
        for dy in -radius...radius {
            for dx in -radius...radius { raster.set(x: x + dx, y: y + dy, to: color) }
        }
    }

    /// A "+" of half-width `thickness` (0 is one pixel), arms of length `arm`, an empty centre
    /// of radius `gap`, drawn over a dark rim.
    private static func plus(x: Int, y: Int, arm: Int, thickness: Int, gap: Int, color: RGBColor, rim: RGBColor,
                             into raster: inout some PixelCanvas) {
        for (radius, paint) in [(thickness + 1, rim), (thickness, color)] {
            for offset in -arm...arm where abs(offset) >= gap {
                dab(x: x + offset, y: y, radius: radius, color: paint, into: &raster)
                dab(x: x, y: y + offset, radius: radius, color: paint, into: &raster)
            }
        }
    }

    private static func cross(x: Int, y: Int, arm: Int, color: RGBColor, rim: RGBColor, into raster: inout some PixelCanvas) {
        let reach = max(arm * 7 / 10, 2)
        for (radius, paint) in [(2, rim), (1, color)] {
            for offset in -reach...reach {
                dab(x: x + offset, y: y + offset, radius: radius, color: paint, into: &raster)
                dab(x: x + offset, y: y - offset, radius: radius, color: paint, into: &raster)
            }
        }
    }

    private static func rectangle(_ box: PromptBox, color: RGBColor, geometry: RasterGeometry, into raster: inout some PixelCanvas) {
        let a = geometry.rasterPosition(of: box.topLeft)
        let b = geometry.rasterPosition(of: box.bottomRight)
        // Clip to just outside the raster: a zoomed-in box may be far larger than the screen.
        let x0 = max(Int(a.x.rounded()), -2), x1 = min(Int(b.x.rounded()), raster.width + 1)
        let y0 = max(Int(a.y.rounded()), -2), y1 = min(Int(b.y.rounded()), raster.height + 1)
        guard x0 <= x1, y0 <= y1 else { return }
        for x in x0...x1 {
            for y in [Int(a.y.rounded()), Int(b.y.rounded())] where y >= -2 && y <= raster.height + 1 {
                raster.set(x: x, y: y, to: color)
                raster.set(x: x, y: y + (y == Int(a.y.rounded()) ? 1 : -1), to: color)
            }
        }
        for y in y0...y1 {
            for x in [Int(a.x.rounded()), Int(b.x.rounded())] where x >= -2 && x <= raster.width + 1 {
                raster.set(x: x, y: y, to: color)
                raster.set(x: x + (x == Int(a.x.rounded()) ? 1 : -1), y: y, to: color)
            }
        }
    }
}
