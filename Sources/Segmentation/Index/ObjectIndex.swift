// The object index: every object of a library's sessions with its embedding, in one SQLite file,
// for "more like this" across images (`samterm index`, `samterm similar`, the editor's `S`).
//
// Tables (schema version 1):
//   samterm_index(key, value)  format = "samterm object index", version = 1
//   images(id, path, sha256, width, height, model, session_sha256)
//       path relative to the database's folder when the image lies under it, else absolute;
//       session_sha256: the session file's bytes, so an unchanged session is skipped.
//   objects(id, image_id, number, class, name, x, y, w, h, area, score, embedding)
//       number: 1-based, as `IMAGE#N` and the editor count; embedding: the object's unit vector
//       (Predictor.objectEmbedding) as little-endian float32.
//   masks(object_id, counts)  the mask as COCO's compressed RLE, apart so a query's scan of
//       `objects` reads embeddings only.
// Each image's rows change in one transaction, in WAL mode: a killed `index` leaves every image
// either as it was or as it is now. Pages of 16 KiB hold fifteen 1 KB rows with little slack.
import Foundation

public final class ObjectIndex {
    public static let fileName = ".samterm-index.sqlite"
    static let format = "samterm object index"
    static let version = 1
    /// SQLite maps at most this much of the file (16 GiB: 15 million objects).
    static let mappedBytes: Int64 = 16 << 30

    public let path: String
    let database: SQLiteDatabase
    /// The folder image paths are stored relative to.
    let folder: String

    public struct Image: Equatable, Sendable {
        public var path: String
        public var sha256: String
        public var width: Int
        public var height: Int
        public var model: String
        public var sessionSHA256: String

        public init(path: String, sha256: String, width: Int, height: Int, model: String, sessionSHA256: String) {
            self.path = path
            self.sha256 = sha256
            self.width = width
            self.height = height
            self.model = model
            self.sessionSHA256 = sessionSHA256
        }
    }

    public struct Object: Sendable {
        public var number: Int
        public var className: String?
        public var name: String?
        public var box: PixelBox
        public var area: Int
        public var score: Double?
        public var counts: String
        public var embedding: [Float]

        public init(number: Int, className: String?, name: String?, box: PixelBox, area: Int, score: Double?,
                    counts: String, embedding: [Float]) {
            self.number = number
            self.className = className
            self.name = name
            self.box = box
            self.area = area
            self.score = score
            self.counts = counts
            self.embedding = embedding
        }
    }

    /// Opens the index at `path`; with `create`, makes it when the file does not exist. Throws a
    /// `DatabaseError` naming the file for a file that is not a database, a database that is not
    /// an index, or an index of a newer schema.
    public init(path: String, create: Bool) throws {
        let exists = FileManager.default.fileExists(atPath: path)
        guard exists || create else {
            throw DatabaseError(path: path, reason: "no such index (make one with `samterm index`)")
        }
        self.path = path
        folder = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path
        database = try SQLiteDatabase(path: path, create: create)
        do {
            if exists { try checkFormat() } else { try createSchema() }
        } catch let error as DatabaseError {
            throw DatabaseError(path: path, reason: exists ? "not a samterm object index (\(error.reason))" : error.reason)
        }
    }

    private func createSchema() throws {
        try database.execute("PRAGMA page_size = 16384; PRAGMA journal_mode = WAL;")
        try database.transaction {
            try database.execute("""
                CREATE TABLE samterm_index (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE images (
                    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, sha256 TEXT NOT NULL,
                    width INTEGER NOT NULL, height INTEGER NOT NULL, model TEXT NOT NULL,
                    session_sha256 TEXT NOT NULL);
                CREATE TABLE objects (
                    id INTEGER PRIMARY KEY, image_id INTEGER NOT NULL REFERENCES images(id),
                    number INTEGER NOT NULL, class TEXT, name TEXT,
                    x INTEGER NOT NULL, y INTEGER NOT NULL, w INTEGER NOT NULL, h INTEGER NOT NULL,
                    area INTEGER NOT NULL, score REAL, embedding BLOB NOT NULL);
                CREATE INDEX objects_by_image ON objects(image_id);
                CREATE TABLE masks (object_id INTEGER PRIMARY KEY REFERENCES objects(id), counts TEXT NOT NULL);
                """)
            try database.prepare("INSERT INTO samterm_index VALUES ('format', ?), ('version', ?)")
                .run([.text(Self.format), .text(String(Self.version))])
        }
        try configure()
    }

    private func checkFormat() throws {
        let statement = try database.prepare("SELECT key, value FROM samterm_index")
        var values: [String: String] = [:]
        while try statement.step() { values[statement.text(0) ?? ""] = statement.text(1) }
        guard values["format"] == Self.format else { throw DatabaseError(path: path, reason: "no samterm_index format entry") }
        guard let version = values["version"].flatMap(Int.init), version <= Self.version else {
            throw DatabaseError(path: path, reason: "schema version \(values["version"] ?? "?") is newer than this samterm's \(Self.version)")
        }
        try configure()
    }

    private func configure() throws {
        // WAL with synchronous NORMAL: a commit survives a killed process; only a power cut may
        // lose the last ones, never consistency.
        try database.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
        // A query reads every embedding: mapped, the pages are read where the OS caches them,
        // without a copy through SQLite's own small cache.
        try database.execute("PRAGMA mmap_size = \(Self.mappedBytes)")
    }

    /// The index an image belongs to: the first `.samterm-index.sqlite` in its folder or above.
    public static func locate(near imagePath: String) -> String? {
        var folder = URL(fileURLWithPath: imagePath).standardizedFileURL.deletingLastPathComponent()
        while true {
            let candidate = folder.appendingPathComponent(fileName).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { return nil }
            folder = parent
        }
    }

    // MARK: Images

    /// The path as stored: relative to the index's folder when inside it.
    func storedPath(_ imagePath: String) -> String {
        let absolute = URL(fileURLWithPath: imagePath).standardizedFileURL.path
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return absolute.hasPrefix(prefix) ? String(absolute.dropFirst(prefix.count)) : absolute
    }

    /// A stored path as a path to open from here.
    func resolvedPath(_ stored: String) -> String {
        guard !stored.hasPrefix("/") else { return stored }
        let relativeFolder = URL(fileURLWithPath: path).deletingLastPathComponent().relativePath
        return relativeFolder == "." ? stored : relativeFolder + "/" + stored
    }

    /// What the index holds for the image at `imagePath`, or nil.
    public func image(at imagePath: String) throws -> Image? {
        let statement = try database.prepare(
            "SELECT path, sha256, width, height, model, session_sha256 FROM images WHERE path = ?")
        statement.bind([.text(storedPath(imagePath))])
        guard try statement.step() else { return nil }
        return Image(path: resolvedPath(statement.text(0) ?? ""), sha256: statement.text(1) ?? "",
                     width: Int(statement.integer(2)), height: Int(statement.integer(3)),
                     model: statement.text(4) ?? "", sessionSHA256: statement.text(5) ?? "")
    }

    /// Every indexed image's path, as paths to open from here.
    public func imagePaths() throws -> [String] {
        let statement = try database.prepare("SELECT path FROM images ORDER BY path")
        var paths: [String] = []
        while try statement.step() { paths.append(resolvedPath(statement.text(0) ?? "")) }
        return paths
    }

    /// Puts `image` and its objects in place of what the index held for it, in one transaction.
    public func replace(_ image: Image, objects: [Object]) throws {
        let stored = storedPath(image.path)
        try database.transaction {
            try deleteRows(ofStoredPath: stored)
            try database.prepare("""
                INSERT INTO images (path, sha256, width, height, model, session_sha256) VALUES (?, ?, ?, ?, ?, ?)
                """).run([.text(stored), .text(image.sha256), .integer(Int64(image.width)), .integer(Int64(image.height)),
                          .text(image.model), .text(image.sessionSHA256)])
            let imageID = database.lastInsertedRow
            let insertObject = try database.prepare("""
                INSERT INTO objects (image_id, number, class, name, x, y, w, h, area, score, embedding)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let insertMask = try database.prepare("INSERT INTO masks (object_id, counts) VALUES (?, ?)")
            for object in objects {
                try insertObject.run([
                    .integer(imageID), .integer(Int64(object.number)), .optional(object.className), .optional(object.name),
                    .integer(Int64(object.box.x)), .integer(Int64(object.box.y)), .integer(Int64(object.box.width)),
                    .integer(Int64(object.box.height)), .integer(Int64(object.area)), object.score.map(SQLiteDatabase.Value.real) ?? .null,
                    .blob(EmbeddingBytes.encode(object.embedding)),
                ])
                try insertMask.run([.integer(database.lastInsertedRow), .text(object.counts)])
            }
        }
    }

    /// Takes the image's rows out (its session is gone, or the image is).
    public func remove(imagePath: String) throws {
        try database.transaction { try deleteRows(ofStoredPath: storedPath(imagePath)) }
    }

    private func deleteRows(ofStoredPath stored: String) throws {
        try database.prepare("""
            DELETE FROM masks WHERE object_id IN
                (SELECT objects.id FROM objects JOIN images ON images.id = objects.image_id WHERE images.path = ?)
            """).run([.text(stored)])
        try database.prepare("DELETE FROM objects WHERE image_id IN (SELECT id FROM images WHERE path = ?)").run([.text(stored)])
        try database.prepare("DELETE FROM images WHERE path = ?").run([.text(stored)])
    }

    // MARK: Checks

    public var objectCount: Int {
        get throws {
            let statement = try database.prepare("SELECT count(*) FROM objects")
            _ = try statement.step()
            return Int(statement.integer(0))
        }
    }

    /// Bytes of the file's pages by what they hold (SQLite's dbstat): the masks' RLE, and the rest
    /// (images, objects with their embeddings, indexes, the schema).
    public func pageBytes() throws -> (masks: Int64, rest: Int64) {
        let statement = try database.prepare("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")
        var masks: Int64 = 0, rest: Int64 = 0
        while try statement.step() {
            if statement.text(0) == "masks" { masks += statement.integer(1) } else { rest += statement.integer(1) }
        }
        return (masks, rest)
    }

    /// SQLite's own check of every page and index: "ok", or what is wrong.
    public func integrityCheck() throws -> String {
        let statement = try database.prepare("PRAGMA integrity_check")
        var lines: [String] = []
        while try statement.step() { lines.append(statement.text(0) ?? "") }
        return lines.joined(separator: "\n")
    }
}

/// An embedding in the index: little-endian float32, one after another.
enum EmbeddingBytes {
    static func encode(_ values: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// Into `out` (count = bytes / 4), whatever the blob's alignment.
    static func decode(_ bytes: UnsafeRawBufferPointer, into out: inout [Float]) {
        let count = bytes.count / 4
        if out.count != count { out = [Float](repeating: 0, count: count) }
        out.withUnsafeMutableBytes { destination in
            destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<count * 4]))
        }
        #if _endian(big)
        for index in out.indices { out[index] = Float(bitPattern: UInt32(littleEndian: out[index].bitPattern)) }
        #endif
    }
}
