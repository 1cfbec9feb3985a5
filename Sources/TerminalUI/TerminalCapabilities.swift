// What the terminal can show, from its answers and the environment, and which renderer follows.

public enum RendererKind: String, CaseIterable, Sendable {
    case kitty
    case sixel
    case truecolor
    case palette256 = "256"
    case mono

    var colorDepth: ColorDepth {
        switch self {
        case .kitty, .sixel, .truecolor: return .truecolor
        case .palette256: return .palette256
        case .mono: return .monochrome
        }
    }

    /// Pictures at the terminal's pixels, rather than coloured characters.
    var drawsPixels: Bool { self == .kitty || self == .sixel }
}

public struct TerminalCapabilities: Equatable, Sendable {
    /// The terminal answered the kitty graphics query with OK.
    public var supportsKitty = false
    public var supportsSixel = false
    public var colorDepth = ColorDepth.monochrome
    public var cellPixelWidth: Int?
    public var cellPixelHeight: Int?
    /// NO_COLOR is set: the interface's own text stays uncoloured.
    public var chromeWithoutColor = false
    /// The largest sixel image the terminal draws (XTSMGRAPHICS, else `assumedSixelLimit`); nil
    /// without sixel. xterm draws nothing at all for a larger image.
    public var sixelLimit: PixelSize?
    /// The terminal's sixel colour registers, when it said (XTSMGRAPHICS).
    public var sixelColorRegisters: Int?

    /// xterm's default `maxGraphicSize`, for a sixel terminal that does not answer XTSMGRAPHICS.
    public static let assumedSixelLimit = PixelSize(width: 1000, height: 1000)

    /// What the editor asks the terminal, in order: the cell size, the largest sixel image, the
    /// colour registers, kitty graphics, then DA1, which every terminal answers (so it ends the
    /// wait: a terminal that speaks kitty graphics answers its query before DA1).
    public static let queries = "\u{1b}[16t\u{1b}[?2;1;0S\u{1b}[?1;1;0S" + KittyGraphics.query + "\u{1b}[c"

    public init(supportsKitty: Bool = false, supportsSixel: Bool = false, colorDepth: ColorDepth = .monochrome, cellPixelWidth: Int? = nil,
                cellPixelHeight: Int? = nil, chromeWithoutColor: Bool = false, sixelLimit: PixelSize? = nil,
                sixelColorRegisters: Int? = nil) {
        self.supportsKitty = supportsKitty
        self.supportsSixel = supportsSixel
        self.colorDepth = colorDepth
        self.cellPixelWidth = cellPixelWidth
        self.cellPixelHeight = cellPixelHeight
        self.chromeWithoutColor = chromeWithoutColor
        self.sixelLimit = sixelLimit
        self.sixelColorRegisters = sixelColorRegisters
    }

    /// The capabilities the answers to `queries` show; `environment` and terminfo give the colours.
    public init(replies bytes: [UInt8], environment: [String: String], terminfoColors: Int, terminfoHasRGB: Bool) {
        let sixel = Self.repliesSixel(Self.primaryDeviceAttributes(in: bytes) ?? [])
        self.init(supportsKitty: KittyGraphics.queryAnswer(in: bytes) == true, supportsSixel: sixel,
                  colorDepth: Self.colorDepth(environment: environment, terminfoColors: terminfoColors, terminfoHasRGB: terminfoHasRGB),
                  chromeWithoutColor: Self.noColor(environment),
                  sixelLimit: sixel ? Self.sixelGeometry(in: bytes) ?? Self.assumedSixelLimit : nil,
                  sixelColorRegisters: Self.colorRegisters(in: bytes))
    }

    /// Kitty graphics, then sixel, when the terminal has them and says how big its cells are;
    /// else the deepest colour.
    public var bestRenderer: RendererKind {
        let knowsCells = cellPixelWidth != nil && cellPixelHeight != nil
        if supportsKitty, knowsCells { return .kitty }
        if supportsSixel, knowsCells { return .sixel }
        switch colorDepth {
        case .truecolor: return .truecolor
        case .palette256: return .palette256
        case .monochrome: return .mono
        }
    }

    /// NO_COLOR set to anything: no colour in the interface's text (no-color.org).
    static func noColor(_ environment: [String: String]) -> Bool {
        !(environment["NO_COLOR"] ?? "").isEmpty
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

    /// The largest sixel image from a reply to `CSI ? 2 ; 1 ; 0 S` (`CSI ? 2 ; 0 ; W ; H S`); nil
    /// when there is none or it reports a failure.
    public static func sixelGeometry(in bytes: [UInt8]) -> PixelSize? {
        graphicsReply(in: bytes, item: 2, values: 2).map { PixelSize(width: $0[0], height: $0[1]) }
    }

    /// The colour registers from a reply to `CSI ? 1 ; 1 ; 0 S` (`CSI ? 1 ; 0 ; N S`).
    public static func colorRegisters(in bytes: [UInt8]) -> Int? {
        graphicsReply(in: bytes, item: 1, values: 1)?[0]
    }

    /// The positive values of a successful (status 0) XTSMGRAPHICS reply about `item`.
    private static func graphicsReply(in bytes: [UInt8], item: Int, values: Int) -> [Int]? {
        for body in csiBodies(in: bytes, private: true, final: UInt8(ascii: "S")) {
            let fields = body.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) }
            guard fields.count == values + 2, fields[0] == item, fields[1] == 0 else { continue }
            let numbers = fields.dropFirst(2).compactMap { $0 }
            if numbers.count == values, numbers.allSatisfy({ $0 > 0 }) { return numbers }
        }
        return nil
    }

    /// The parameters of the first CSI sequence in `bytes` ending with `final`.
    private static func csiBody(in bytes: [UInt8], private isPrivate: Bool, final: UInt8) -> String? {
        csiBodies(in: bytes, private: isPrivate, final: final).first
    }

    /// The parameters of every CSI sequence in `bytes` ending with `final`, in order.
    private static func csiBodies(in bytes: [UInt8], private isPrivate: Bool, final: UInt8) -> [String] {
        var bodies: [String] = []
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
                bodies.append(String(decoding: bytes[start..<cursor], as: UTF8.self))
            }
        }
        return bodies
    }
}
