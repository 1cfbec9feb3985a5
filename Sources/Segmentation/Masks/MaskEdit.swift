// Direct edits of a mask, kept as a layer over the model's prediction: brush strokes that paint
// or erase, and the clean-ups that fill holes and remove islands. An object's mask is its last
// prediction's kept candidate with its edits applied in order (MaskSculpting), so a later click
// re-predicts and the edits still apply.
//
// In a session (`edits` of an object, in the order they were made):
//
//   { "op": "paint", "radius": 6, "path": [ [120.5, 80.5], [124.5, 83.5] ] }
//   { "op": "erase", "radius": 12, "path": [ [300, 200] ] }
//   { "op": "fill-holes", "area": 100 }
//   { "op": "remove-islands", "area": 100 }
//
// Coordinates and radii are original-image pixels (the centre of the top-left pixel is
// (0.5, 0.5)); areas are pixels of the original image.

import Foundation

public enum MaskEdit: Equatable, Sendable {
    case stroke(Stroke)
    /// Fills background regions smaller than `area` pixels (official `remove_small_regions`,
    /// mode "holes").
    case fillHoles(area: Int)
    /// Removes foreground regions smaller than `area` pixels, keeping the largest if all are
    /// (official `remove_small_regions`, mode "islands").
    case removeIslands(area: Int)

    /// A brush stroke: every pixel whose centre lies within `radius` of the path (a disc for a
    /// path of one point) is set, or cleared when `erases`.
    public struct Stroke: Equatable, Sendable {
        public var path: [StrokePoint]
        public var radius: Double
        public var erases: Bool

        public init(path: [StrokePoint], radius: Double, erases: Bool) {
            self.path = path
            self.radius = radius
            self.erases = erases
        }
    }

    public struct StrokePoint: Equatable, Sendable {
        public var x: Double
        public var y: Double

        public init(x: Double, y: Double) {
            self.x = x
            self.y = y
        }
    }

    /// What the edit does, as undo and the status line name it.
    public var label: String {
        switch self {
        case .stroke(let stroke): return stroke.erases ? "erase" : "paint"
        case .fillHoles: return "fill holes"
        case .removeIslands: return "remove islands"
        }
    }

    /// Why the edit cannot be applied, or nil (sessions are checked with this).
    public var problem: String? {
        switch self {
        case .stroke(let stroke):
            if stroke.path.isEmpty { return "a stroke has no point" }
            if !stroke.radius.isFinite || stroke.radius <= 0 { return "stroke radius \(stroke.radius) is not a positive number" }
            if stroke.path.contains(where: { !$0.x.isFinite || !$0.y.isFinite }) { return "stroke coordinates are not finite" }
            return nil
        case .fillHoles(let area), .removeIslands(let area):
            return area < 0 ? "\(label) area \(area) is negative" : nil
        }
    }
}

extension MaskEdit: Codable {
    private enum CodingKeys: String, CodingKey { case op, radius, path, area }
    private enum Operation: String, Codable { case paint, erase, fillHoles = "fill-holes", removeIslands = "remove-islands" }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let operation = try container.decode(Operation.self, forKey: .op)
        switch operation {
        case .paint, .erase:
            let pairs = try container.decode([[Double]].self, forKey: .path)
            guard pairs.allSatisfy({ $0.count == 2 }) else {
                throw DecodingError.dataCorruptedError(forKey: .path, in: container, debugDescription: "a stroke point is [x, y]")
            }
            self = .stroke(Stroke(path: pairs.map { StrokePoint(x: $0[0], y: $0[1]) },
                                  radius: try container.decode(Double.self, forKey: .radius), erases: operation == .erase))
        case .fillHoles: self = .fillHoles(area: try container.decode(Int.self, forKey: .area))
        case .removeIslands: self = .removeIslands(area: try container.decode(Int.self, forKey: .area))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .stroke(let stroke):
            try container.encode(stroke.erases ? Operation.erase : .paint, forKey: .op)
            try container.encode(stroke.radius, forKey: .radius)
            try container.encode(stroke.path.map { [$0.x, $0.y] }, forKey: .path)
        case .fillHoles(let area):
            try container.encode(Operation.fillHoles, forKey: .op)
            try container.encode(area, forKey: .area)
        case .removeIslands(let area):
            try container.encode(Operation.removeIslands, forKey: .op)
            try container.encode(area, forKey: .area)
        }
    }
}
