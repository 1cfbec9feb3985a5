// Ranking the index's objects by likeness to one embedding: a scan of every object's vector
// (cosine similarity of unit vectors is their dot product), the best `top` kept as it goes.
// At 256 floats an object, 100,000 objects are 100 MB read from SQLite's pages per query; past
// a few million an approximate index would take over (docs/performance.md).
import Foundation

extension ObjectIndex {
    public struct Match: Equatable, Sendable {
        public var imagePath: String
        public var number: Int
        public var className: String?
        public var name: String?
        public var box: PixelBox
        public var area: Int
        public var similarity: Float
    }

    public struct Ranking: Sendable {
        public var matches: [Match]
        /// Objects of the same class filter left out because another model made their embeddings.
        public var otherModels: [String: Int]
        /// Objects compared.
        public var compared: Int
    }

    /// What the index holds for object `number` of the image at `imagePath`: its model and embedding.
    public func object(imagePath: String, number: Int) throws -> (model: String, className: String?, embedding: [Float])? {
        let statement = try database.prepare("""
            SELECT images.model, objects.class, objects.embedding FROM objects JOIN images ON images.id = objects.image_id
            WHERE images.path = ? AND objects.number = ?
            """)
        statement.bind([.text(storedPath(imagePath)), .integer(Int64(number))])
        guard try statement.step() else { return nil }
        var embedding: [Float] = []
        EmbeddingBytes.decode(statement.blob(2), into: &embedding)
        return (statement.text(0) ?? "", statement.text(1), embedding)
    }

    /// The `top` objects most like `embedding` among those `model` made (of class `className` when
    /// given), best first; ties in index order.
    public func similar(to embedding: [Float], model: String, className: String? = nil, top: Int,
                        excludingImage excluded: String? = nil) throws -> Ranking {
        var models = try imageModels()
        if let excluded, let id = try imageID(at: excluded) { models[id] = nil }
        let scan = try database.prepare(className == nil
            ? "SELECT id, image_id, embedding FROM objects"
            : "SELECT id, image_id, embedding FROM objects WHERE class = ?")
        scan.bind(className.map { [.text($0)] } ?? [])
        var best = TopScores(capacity: max(0, top))
        var others: [String: Int] = [:]
        var compared = 0
        var vector = [Float](repeating: 0, count: embedding.count)
        while try scan.step() {
            guard let imageModel = models[scan.integer(1)] else { continue }
            guard imageModel == model else {
                others[imageModel, default: 0] += 1
                continue
            }
            let bytes = scan.blob(2)
            guard bytes.count == embedding.count * 4 else { continue }
            EmbeddingBytes.decode(bytes, into: &vector)
            compared += 1
            best.offer(score: Self.similarity(vector, embedding), id: scan.integer(0))
        }
        let matches = try best.ranked().map { try match(objectID: $0.id, similarity: $0.score) }
        return Ranking(matches: matches, otherModels: others, compared: compared)
    }

    private func imageID(at imagePath: String) throws -> Int64? {
        let statement = try database.prepare("SELECT id FROM images WHERE path = ?")
        statement.bind([.text(storedPath(imagePath))])
        return try statement.step() ? statement.integer(0) : nil
    }

    private func imageModels() throws -> [Int64: String] {
        let statement = try database.prepare("SELECT id, model FROM images")
        var models: [Int64: String] = [:]
        while try statement.step() { models[statement.integer(0)] = statement.text(1) ?? "" }
        return models
    }

    private func match(objectID: Int64, similarity: Float) throws -> Match {
        let statement = try database.prepare("""
            SELECT images.path, objects.number, objects.class, objects.name, objects.x, objects.y, objects.w, objects.h,
                   objects.area
            FROM objects JOIN images ON images.id = objects.image_id WHERE objects.id = ?
            """)
        statement.bind([.integer(objectID)])
        guard try statement.step() else { throw DatabaseError(path: path, reason: "object \(objectID) vanished during the query") }
        return Match(imagePath: resolvedPath(statement.text(0) ?? ""), number: Int(statement.integer(1)),
                     className: statement.text(2), name: statement.text(3),
                     box: PixelBox(x: Int(statement.integer(4)), y: Int(statement.integer(5)),
                                   width: Int(statement.integer(6)), height: Int(statement.integer(7))),
                     area: Int(statement.integer(8)), similarity: similarity)
    }

    /// Cosine similarity of two unit vectors of one length: their dot product.
    public static func similarity(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        return a.withUnsafeBytes { a in
            b.withUnsafeBytes { b in
                // Eight running sums: the loop vectorises.
                var sums = SIMD8<Float>()
                var offset = 0
                let end = a.count - a.count % 32
                while offset < end {
                    sums += a.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                        * b.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    offset += 32
                }
                var total = sums.sum()
                while offset < a.count {
                    total += a.load(fromByteOffset: offset, as: Float.self) * b.load(fromByteOffset: offset, as: Float.self)
                    offset += 4
                }
                return total
            }
        }
    }
}

/// The best scores seen, at most `capacity`; ties keep the earlier id.
struct TopScores {
    let capacity: Int
    private(set) var entries: [(score: Float, id: Int64)] = []
    private var worst = 0  // index of the lowest entry once full

    init(capacity: Int) { self.capacity = capacity }

    mutating func offer(score: Float, id: Int64) {
        guard capacity > 0 else { return }
        if entries.count < capacity {
            entries.append((score, id))
            if entries.count == capacity { worst = lowest() }
            return
        }
        guard score > entries[worst].score else { return }
        entries[worst] = (score, id)
        worst = lowest()
    }

    private func lowest() -> Int {
        var index = 0
        for candidate in entries.indices where Self.ranksBelow(entries[candidate], entries[index]) { index = candidate }
        return index
    }

    private static func ranksBelow(_ a: (score: Float, id: Int64), _ b: (score: Float, id: Int64)) -> Bool {
        a.score < b.score || (a.score == b.score && a.id > b.id)
    }

    func ranked() -> [(score: Float, id: Int64)] {
        entries.sorted { Self.ranksBelow($1, $0) }
    }
}
