// An adaptive palette for sixel frames, chosen by median cut over a 15-bit colour histogram.
//
// libsixel can choose the palette itself, but on a 1024 x 768 frame that takes most of the
// frame's time; this does it in a few milliseconds. Colours are binned at 5 bits per channel,
// boxes of bins are split at the weighted median of their widest channel until there are 256,
// and every pixel takes its bin's box: no per-pixel colour search at all. The marks' colours
// are reserved: entries of their own, which image colours keep clear of.
import Segmentation

enum SixelPalette {
    struct Quantized {
        /// RGB triples, one per colour.
        var palette: [UInt8]
        /// One palette index per pixel, row by row.
        var indices: [UInt8]
        var colorCount: Int { palette.count / 3 }
    }

    private static func bin(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        Int(r >> 3) << 10 | Int(g >> 3) << 5 | Int(b >> 3)
    }

    /// The 5-bit value of `channel` (0 red, 1 green, 2 blue) of a bin.
    private static func level(_ bin: Int32, _ channel: Int) -> Int32 {
        (bin >> Int32(10 - 5 * channel)) & 31
    }

    /// How far (RGB distance) the image's palette colours stay from the reserved ones.
    static let reservedClearance = 56.0

    /// `pixels` are RGB triples; at most `maxColors` (1...256) colours. The `reserved` colours
    /// (the marks') get entries of their own, at the end, taken only by pixels of exactly those
    /// colours; every other entry keeps `reservedClearance` away from them, so no image speck
    /// looks like a mark.
    static func quantize(_ pixels: [UInt8], maxColors: Int = 256, reserved: [RGBColor] = []) -> Quantized {
        precondition((1...256).contains(maxColors))
        let reserved = Array(reserved.prefix(maxColors - 1))
        let count = pixels.count / 3
        var population = [UInt32](repeating: 0, count: 1 << 15)
        var sums = [UInt64](repeating: 0, count: 3 << 15)
        // Bins holding a reserved colour: only their pixels are compared with the colours.
        var reservedBins = [Bool](repeating: false, count: 1 << 15)
        for color in reserved { reservedBins[bin(color.red, color.green, color.blue)] = true }
        func reservedIndex(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int? {
            reserved.firstIndex { $0.red == r && $0.green == g && $0.blue == b }
        }
        var present = [Bool](repeating: false, count: reserved.count)
        pixels.withUnsafeBufferPointer { rgb in
            population.withUnsafeMutableBufferPointer { population in
                sums.withUnsafeMutableBufferPointer { sums in
                    for i in 0..<count {
                        let r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2]
                        let key = bin(r, g, b)
                        if reservedBins[key], let index = reservedIndex(r, g, b) {
                            present[index] = true
                            continue
                        }
                        population[key] &+= 1
                        sums[3 * key] &+= UInt64(r)
                        sums[3 * key + 1] &+= UInt64(g)
                        sums[3 * key + 2] &+= UInt64(b)
                    }
                }
            }
        }
        var bins = (0..<Int32(1 << 15)).filter { population[Int($0)] > 0 }

        // Boxes are ranges of `bins`; split the most populous splittable one until done.
        var boxes: [Range<Int>] = [0..<bins.count]
        var boxPopulation: [UInt64] = [UInt64(count)]
        // Only the marks this picture holds take entries (a band without marks keeps them all).
        let used = reserved.indices.filter { present[$0] }
        var entryOfReserved = [Int](repeating: 0, count: reserved.count)
        while boxes.count < maxColors - used.count {
            var chosen = -1
            for (index, box) in boxes.enumerated() where box.count > 1 {
                if chosen < 0 || boxPopulation[index] > boxPopulation[chosen] { chosen = index }
            }
            guard chosen >= 0 else { break }
            let box = boxes[chosen]
            // The channel spanning most levels in the box.
            var low = [Int32](repeating: 31, count: 3), high = [Int32](repeating: 0, count: 3)
            for bin in bins[box] {
                for channel in 0..<3 {
                    let value = level(bin, channel)
                    low[channel] = min(low[channel], value)
                    high[channel] = max(high[channel], value)
                }
            }
            let channel = (0..<3).max { high[$0] - low[$0] < high[$1] - low[$1] }!
            bins[box].sort { level($0, channel) < level($1, channel) }
            // Split where half the box's pixels lie on either side, never leaving a side empty.
            let half = boxPopulation[chosen] / 2
            var running: UInt64 = 0
            var split = box.lowerBound + 1
            for position in box.dropLast() {
                running += UInt64(population[Int(bins[position])])
                split = position + 1
                if running >= half { break }
            }
            let first = box.lowerBound..<split, second = split..<box.upperBound
            let firstPopulation = bins[first].reduce(UInt64(0)) { $0 + UInt64(population[Int($1)]) }
            boxes[chosen] = first
            boxPopulation[chosen] = firstPopulation
            boxes.append(second)
            boxPopulation.append(bins[second].reduce(UInt64(0)) { $0 + UInt64(population[Int($1)]) })
        }

        // Each box's colour is the mean of its pixels; each bin points at its box.
        var palette = [UInt8]()
        palette.reserveCapacity(3 * boxes.count)
        var lookup = [UInt8](repeating: 0, count: 1 << 15)
        for (index, box) in boxes.enumerated() {
            var total: UInt64 = 0, red: UInt64 = 0, green: UInt64 = 0, blue: UInt64 = 0
            for bin in bins[box] {
                let key = Int(bin)
                total += UInt64(population[key])
                red += sums[3 * key]
                green += sums[3 * key + 1]
                blue += sums[3 * key + 2]
                lookup[key] = UInt8(index)
            }
            let divisor = max(total, 1)
            let mean = RGBColor(UInt8((red + divisor / 2) / divisor), UInt8((green + divisor / 2) / divisor),
                                UInt8((blue + divisor / 2) / divisor))
            let kept = keptClear(mean, of: reserved)
            palette += [kept.red, kept.green, kept.blue]
        }
        if palette.isEmpty { palette = [0, 0, 0] }
        for index in used {
            entryOfReserved[index] = palette.count / 3
            palette += [reserved[index].red, reserved[index].green, reserved[index].blue]
        }

        var indices = [UInt8](repeating: 0, count: count)
        pixels.withUnsafeBufferPointer { rgb in
            lookup.withUnsafeBufferPointer { lookup in
                indices.withUnsafeMutableBufferPointer { out in
                    for i in 0..<count {
                        let r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2]
                        let key = bin(r, g, b)
                        if reservedBins[key], let index = reservedIndex(r, g, b) {
                            out[i] = UInt8(entryOfReserved[index])
                        } else {
                            out[i] = lookup[key]
                        }
                    }
                }
            }
        }
        return Quantized(palette: palette, indices: indices)
    }

    /// `color` moved straight away from any reserved colour nearer than the clearance.
    static func keptClear(_ color: RGBColor, of reserved: [RGBColor]) -> RGBColor {
        var (r, g, b) = (Double(color.red), Double(color.green), Double(color.blue))
        for _ in 0..<3 {
            var moved = false
            for mark in reserved {
                let (mr, mg, mb) = (Double(mark.red), Double(mark.green), Double(mark.blue))
                var (dr, dg, db) = (r - mr, g - mg, b - mb)
                var distance = (dr * dr + dg * dg + db * db).squareRoot()
                guard distance < reservedClearance else { continue }
                if distance < 1 {
                    // Exactly the mark's colour: move towards mid grey.
                    (dr, dg, db) = (128 - mr, 128 - mg, 128 - mb)
                    distance = max((dr * dr + dg * dg + db * db).squareRoot(), 1)
                }
                let step = (reservedClearance + 1) / distance
                (r, g, b) = (min(max(mr + dr * step, 0), 255), min(max(mg + dg * step, 0), 255), min(max(mb + db * step, 0), 255))
                moved = true
            }
            if !moved { break }
        }
        return RGBColor(UInt8(r.rounded()), UInt8(g.rounded()), UInt8(b.rounded()))
    }
}
