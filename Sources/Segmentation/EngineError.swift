import SamEngine

/// A failure reported by the engine: its status and the one line it wrote, which names the file
/// or argument at fault.
public struct EngineError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Status: Sendable, Equatable {
        case io, format, argument, model, device, `internal`
        /// A progress callback asked the engine to stop (automatic masks).
        case cancelled
    }

    public let status: Status
    public let message: String

    public init(status: Status, message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }

    /// Runs one engine call that reports through a `sam_error`, throwing unless it returns SAM_OK.
    static func check(_ call: (UnsafeMutablePointer<sam_error>) -> sam_status) throws {
        var error = sam_error()
        let status = call(&error)
        guard status != SAM_OK else { return }
        throw EngineError(status: Status(status), message: message(of: &error))
    }

    private static func message(of error: inout sam_error) -> String {
        withUnsafeBytes(of: &error.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            // The engine truncates long lines, possibly inside a UTF-8 sequence: decode leniently.
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

extension EngineError.Status {
    init(_ status: sam_status) {
        switch status {
        case SAM_ERROR_IO: self = .io
        case SAM_ERROR_FORMAT: self = .format
        case SAM_ERROR_ARGUMENT: self = .argument
        case SAM_ERROR_MODEL: self = .model
        case SAM_ERROR_DEVICE: self = .device
        case SAM_CANCELLED: self = .cancelled
        default: self = .internal
        }
    }
}
