// Object colours, shared by the editor's overlay, the exported overlay picture and sessions.

import Foundation

public struct RGBColor: Equatable, Hashable, Sendable, Codable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// "#rrggbb".
    public var hex: String { String(format: "#%02x%02x%02x", red, green, blue) }

    /// Sessions store colours as "#rrggbb", which people can read and edit.
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let color = RGBColor(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "colour \"\(text)\" is not #rrggbb"))
        }
        self = color
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }

    public init?(hex text: String) {
        let digits = text.hasPrefix("#") ? text.dropFirst() : Substring(text)
        guard digits.count == 6, digits.allSatisfy(\.isHexDigit), let value = UInt32(digits, radix: 16) else { return nil }
        self.init(red: UInt8(value >> 16), green: UInt8((value >> 8) & 0xff), blue: UInt8(value & 0xff))
    }
}

public enum ObjectPalette {
    /// The first colours in order: a clear red first, as the editor has always drawn the first
    /// object, then the blue of the official SAM notebooks' `show_mask` (30, 144, 255), then
    /// colours far apart in hue that stay readable over photographs at alpha 0.6.
    public static let fixed: [RGBColor] = [
        RGBColor(red: 230, green: 40, blue: 40),    // red
        RGBColor(red: 30, green: 144, blue: 255),   // dodger blue
        RGBColor(red: 255, green: 200, blue: 0),    // amber
        RGBColor(red: 170, green: 70, blue: 230),   // violet
        RGBColor(red: 0, green: 200, blue: 200),    // cyan
        RGBColor(red: 255, green: 120, blue: 0),    // orange
        RGBColor(red: 240, green: 80, blue: 200),   // pink
        RGBColor(red: 120, green: 220, blue: 60),   // lime
        RGBColor(red: 140, green: 100, blue: 60),   // brown
        RGBColor(red: 200, green: 200, blue: 200),  // light grey
    ]

    /// Mask fill opacity over the image, as in the official notebooks' `show_mask`.
    public static let maskAlpha = 0.6

    /// The colour of the object at `index` (0-based). Beyond the fixed list, hues step by the
    /// golden angle so neighbours stay distinct however many objects there are.
    public static func color(at index: Int) -> RGBColor {
        precondition(index >= 0, "object index must not be negative")
        if index < fixed.count { return fixed[index] }
        let step = index - fixed.count
        let hue = (Double(step) * 0.618_033_988_749_895 + 0.05).truncatingRemainder(dividingBy: 1)
        let saturation = step % 2 == 0 ? 0.85 : 0.65
        return fromHSV(hue: hue, saturation: saturation, value: 1)
    }

    static func fromHSV(hue: Double, saturation: Double, value: Double) -> RGBColor {
        let sector = hue * 6
        let whole = Int(sector) % 6
        let fraction = sector - Double(Int(sector))
        let p = value * (1 - saturation)
        let q = value * (1 - saturation * fraction)
        let t = value * (1 - saturation * (1 - fraction))
        let (r, g, b): (Double, Double, Double)
        switch whole {
        case 0: (r, g, b) = (value, t, p)
        case 1: (r, g, b) = (q, value, p)
        case 2: (r, g, b) = (p, value, t)
        case 3: (r, g, b) = (p, q, value)
        case 4: (r, g, b) = (t, p, value)
        default: (r, g, b) = (value, p, q)
        }
        func byte(_ channel: Double) -> UInt8 { UInt8((channel * 255).rounded()) }
        return RGBColor(red: byte(r), green: byte(g), blue: byte(b))
    }
}
