// What the terminal can show, from its answers and the environment, and which renderer follows.

public enum RendererKind: String, CaseIterable, Sendable {
    case sixel
    case truecolor
    case palette256 = "256"
    case mono

    var colorDepth: ColorDepth {
        switch self {
        case .sixel, .truecolor: return .truecolor
        case .palette256: return .palette256
        case .mono: return .monochrome
        }
    }
}

public struct TerminalCapabilities: Equatable, Sendable {
    public var supportsSixel = false
    public var colorDepth = ColorDepth.monochrome
    public var cellPixelWidth: Int?
    public var cellPixelHeight: Int?
    /// NO_COLOR is set: the interface's own text stays uncoloured.
    public var chromeWithoutColor = false

    public init(supportsSixel: Bool = false, colorDepth: ColorDepth = .monochrome, cellPixelWidth: Int? = nil,
                cellPixelHeight: Int? = nil, chromeWithoutColor: Bool = false) {
        self.supportsSixel = supportsSixel
        self.colorDepth = colorDepth
        self.cellPixelWidth = cellPixelWidth
        self.cellPixelHeight = cellPixelHeight
        self.chromeWithoutColor = chromeWithoutColor
    }

    /// Sixel when the terminal has it and says how big its cells are; else the deepest colour.
    public var bestRenderer: RendererKind {
        if supportsSixel, cellPixelWidth != nil, cellPixelHeight != nil { return .sixel }
        switch colorDepth {
        case .truecolor: return .truecolor
        case .palette256: return .palette256
        case .monochrome: return .mono
        }
    }

    /// Colour depth from the environment and terminfo: COLORTERM=truecolor|24bit or the RGB
    /// capability means direct colour; 256 terminfo colours the xterm palette; fewer, none.
    public static func colorDepth(environment: [String: String], terminfoColors: Int, terminfoHasRGB: Bool) -> ColorDepth {
        let colorTerm = environment["COLORTERM"]?.lowercased() ?? ""
        if colorTerm == "truecolor" || colorTerm == "24bit" || terminfoHasRGB { return .truecolor }
        if terminfoColors >= 256 { return .palette256 }
        return .monochrome
    }

    /// The attributes of a DA1 reply (`ESC [ ? 64 ; 1 ; 4 c`), or nil if `bytes` holds none.
    public static func primaryDeviceAttributes(in bytes: [UInt8]) -> [Int]? {
        guard let body = csiBody(in: bytes, private: true, final: UInt8(ascii: "c")) else { return nil }
        return body.split(separator: ";").compactMap { Int($0) }
    }

    /// Sixel support is attribute 4 of the DA1 reply.
    public static func repliesSixel(_ attributes: [Int]) -> Bool {
        attributes.dropFirst().contains(4)
    }

    /// The cell size from a reply to `ESC [ 16 t` (`ESC [ 6 ; height ; width t`).
    public static func cellSize(in bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard let body = csiBody(in: bytes, private: false, final: UInt8(ascii: "t")) else { return nil }
        let fields = body.split(separator: ";").compactMap { Int($0) }
        guard fields.count == 3, fields[0] == 6, fields[1] > 0, fields[2] > 0 else { return nil }
        return (fields[2], fields[1])
    }

    /// The parameters of the first CSI sequence in `bytes` ending with `final`.
    private static func csiBody(in bytes: [UInt8], private isPrivate: Bool, final: UInt8) -> String? {
        var index = 0
        while index + 1 < bytes.count {
            defer { index += 1 }
            guard bytes[index] == 0x1b, bytes[index + 1] == UInt8(ascii: "[") else { continue }
            var cursor = index + 2
            if isPrivate {
                guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "?") else { continue }
                cursor += 1
            }
            let start = cursor
            while cursor < bytes.count, (bytes[cursor] >= UInt8(ascii: "0") && bytes[cursor] <= UInt8(ascii: "9")) || bytes[cursor] == UInt8(ascii: ";") {
                cursor += 1
            }
            if cursor < bytes.count, bytes[cursor] == final {
                return String(decoding: bytes[start..<cursor], as: UTF8.self)
            }
        }
        return nil
    }
}
