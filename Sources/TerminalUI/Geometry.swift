// Small geometric value types shared by the editor's state, layout and renderers.
import Segmentation

/// A position in original-image pixel coordinates: pixel (i, j) spans [i, i+1) x [j, j+1),
/// so the centre of the top-left pixel is (0.5, 0.5).
public struct PixelPoint: Equatable, Hashable, Sendable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    func squaredDistance(to other: PixelPoint) -> Double {
        (x - other.x) * (x - other.x) + (y - other.y) * (y - other.y)
    }
}

/// A terminal cell, counted from the top-left of the screen (or of an area), zero-based.
public struct CellPosition: Equatable, Hashable, Sendable {
    public var column: Int
    public var row: Int

    public init(column: Int, row: Int) {
        self.column = column
        self.row = row
    }
}

/// A rectangle of terminal cells.
public struct CellRect: Equatable, Sendable {
    public var column: Int
    public var row: Int
    public var width: Int
    public var height: Int

    public init(column: Int, row: Int, width: Int, height: Int) {
        self.column = column
        self.row = row
        self.width = width
        self.height = height
    }

    public var isEmpty: Bool { width <= 0 || height <= 0 }

    public func contains(_ cell: CellPosition) -> Bool {
        cell.column >= column && cell.column < column + width && cell.row >= row && cell.row < row + height
    }
}

/// The terminal's size in cells and, when the terminal reports it, in pixels.
/// A size in screen pixels.
public struct PixelSize: Equatable, Sendable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

public struct TerminalSize: Equatable, Sendable {
    public var columns: Int
    public var rows: Int
    /// Size of one cell in screen pixels, when known (TIOCGWINSZ or `ESC [ 16 t`).
    public var cellPixelWidth: Int?
    public var cellPixelHeight: Int?
    /// The largest picture the terminal shows (sixel's limit), when the renderer has one: the
    /// image area shrinks to fit it.
    public var pictureLimit: PixelSize?

    public init(columns: Int, rows: Int, cellPixelWidth: Int? = nil, cellPixelHeight: Int? = nil, pictureLimit: PixelSize? = nil) {
        self.columns = columns
        self.rows = rows
        self.cellPixelWidth = cellPixelWidth
        self.cellPixelHeight = cellPixelHeight
        self.pictureLimit = pictureLimit
    }

    /// Height over width of one cell: measured when the terminal says its pixel size, else the
    /// usual 2:1 of terminal fonts.
    public var cellAspect: Double {
        if let width = cellPixelWidth, let height = cellPixelHeight, width > 0, height > 0 {
            return Double(height) / Double(width)
        }
        return 2
    }
}

extension RGBColor {
    init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.init(red: red, green: green, blue: blue)
    }

    /// `self` blended toward `other` by `alpha` (0 keeps self, 1 gives other).
    func blended(toward other: RGBColor, alpha: Double) -> RGBColor {
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8((Double(a) * (1 - alpha) + Double(b) * alpha).rounded())
        }
        return RGBColor(mix(red, other.red), mix(green, other.green), mix(blue, other.blue))
    }

    /// Luma in 0...255 (Rec. 601 weights, good enough to choose contrast and to dither).
    var luma: Int { (299 * Int(red) + 587 * Int(green) + 114 * Int(blue)) / 1000 }

    static let black = RGBColor(0, 0, 0)
    static let white = RGBColor(255, 255, 255)
}
