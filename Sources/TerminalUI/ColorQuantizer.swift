// Nearest colours of the xterm 256-colour palette (the 6x6x6 cube and the 24 greys).
import Segmentation

enum ColorQuantizer {
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// For each channel value, the nearest cube level's index.
    private static let nearestLevel: [Int] = (0..<256).map { value in
        cubeLevels.indices.min { abs(cubeLevels[$0] - value) < abs(cubeLevels[$1] - value) }!
    }

    /// The palette index (16...255) nearest to `color`: the nearer of the best cube colour and
    /// the best grey, by squared distance.
    static func paletteIndex(_ color: RGBColor) -> Int {
        let r = Int(color.red), g = Int(color.green), b = Int(color.blue)
        let ri = nearestLevel[r], gi = nearestLevel[g], bi = nearestLevel[b]
        let cubeError = square(cubeLevels[ri] - r) + square(cubeLevels[gi] - g) + square(cubeLevels[bi] - b)
        let average = (r + g + b) / 3
        let greyStep = min(max((average - 3) / 10, 0), 23)
        let grey = 8 + 10 * greyStep
        let greyError = square(grey - r) + square(grey - g) + square(grey - b)
        return greyError < cubeError ? 232 + greyStep : 16 + 36 * ri + 6 * gi + bi
    }

    /// The colour a palette index (16...255) stands for.
    static func color(ofIndex index: Int) -> RGBColor {
        if index >= 232 {
            let value = UInt8(8 + 10 * (index - 232))
            return RGBColor(value, value, value)
        }
        let cube = index - 16
        return RGBColor(UInt8(cubeLevels[cube / 36]), UInt8(cubeLevels[(cube / 6) % 6]), UInt8(cubeLevels[cube % 6]))
    }

    private static func square(_ value: Int) -> Int { value * value }
}
