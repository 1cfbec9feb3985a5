// A thin layer over SQLite's C API: one connection, prepared statements, transactions, and
// errors that name the database file. Only what the object index needs.
import CSQLite
import Foundation

public struct DatabaseError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

final class SQLiteDatabase {
    let path: String
    private let handle: OpaquePointer

    /// Opens (or with `create`, creates) the file. SQLite reads a file lazily: a file that is not
    /// a database fails at the first statement, which `check` turns into one line.
    init(path: String, create: Bool) throws {
        self.path = path
        var connection: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &connection, flags, nil)
        guard status == SQLITE_OK, let connection else {
            let reason = connection.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close_v2(connection)
            throw DatabaseError(path: path, reason: "cannot open the database (\(reason))")
        }
        handle = connection
        // Another process indexing or querying at the same time waits instead of failing.
        sqlite3_busy_timeout(handle, 10_000)
    }

    deinit { sqlite3_close_v2(handle) }

    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard status == SQLITE_OK else {
            throw DatabaseError(path: path, reason: message.map { String(cString: $0) } ?? errorMessage(status))
        }
    }

    func prepare(_ sql: String) throws -> Statement {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard status == SQLITE_OK, let statement else { throw DatabaseError(path: path, reason: errorMessage(status)) }
        return Statement(database: self, handle: statement)
    }

    /// Runs `body` in one transaction: all of it is on disk afterwards, or none of it (a throw or
    /// a killed process rolls it back).
    func transaction<Result>(_ body: () throws -> Result) throws -> Result {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    var lastInsertedRow: Int64 { sqlite3_last_insert_rowid(handle) }

    func errorMessage(_ status: Int32) -> String {
        let message = String(cString: sqlite3_errmsg(handle))
        return message == "not an error" ? String(cString: sqlite3_errstr(status)) : message
    }

    /// One prepared statement: bind by position (from 1), step, read columns (from 0).
    final class Statement {
        private let database: SQLiteDatabase
        private let handle: OpaquePointer

        fileprivate init(database: SQLiteDatabase, handle: OpaquePointer) {
            self.database = database
            self.handle = handle
        }

        deinit { sqlite3_finalize(handle) }

        @discardableResult
        func bind(_ values: [Value]) -> Statement {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            for (offset, value) in values.enumerated() {
                let index = Int32(offset + 1)
                switch value {
                case .null: sqlite3_bind_null(handle, index)
                case .integer(let number): sqlite3_bind_int64(handle, index, number)
                case .real(let number): sqlite3_bind_double(handle, index, number)
                case .text(let text): sqlite3_bind_text(handle, index, text, -1, transient)
                case .blob(let bytes):
                    bytes.withUnsafeBytes { raw in
                        _ = sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), transient)
                    }
                }
            }
            return self
        }

        /// True while a row is there to read; false when the statement is done.
        func step() throws -> Bool {
            let status = sqlite3_step(handle)
            switch status {
            case SQLITE_ROW: return true
            case SQLITE_DONE: return false
            default: throw DatabaseError(path: database.path, reason: database.errorMessage(status))
            }
        }

        func run(_ values: [Value] = []) throws {
            bind(values)
            while try step() {}
        }

        func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
        func real(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
        func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
        func text(_ column: Int32) -> String? {
            guard let bytes = sqlite3_column_text(handle, column) else { return nil }
            return String(cString: bytes)
        }
        /// The blob's bytes, valid until the next step: no copy for the query's scan.
        func blob(_ column: Int32) -> UnsafeRawBufferPointer {
            let count = Int(sqlite3_column_bytes(handle, column))
            guard count > 0, let start = sqlite3_column_blob(handle, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            return UnsafeRawBufferPointer(start: start, count: count)
        }
    }

    enum Value {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)
        case blob([UInt8])

        static func optional(_ text: String?) -> Value { text.map(Value.text) ?? .null }
    }
}

/// SQLITE_TRANSIENT: SQLite copies bound text and blobs before the bind returns.
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
