// Where a session file lives, saving it atomically, and loading it with every check that keeps
// a wrong session from being applied silently.
//
// Loading never destroys anything: a corrupt file is renamed aside (NAME.corrupt-<timestamp>)
// so the next autosave cannot overwrite it, and reported; a session from a newer samterm, for
// other image content or from another model is reported and left where it is.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

public enum SessionError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be read (permissions, a folder in its place...).
    case unreadable(path: String, reason: String)
    /// Not a session we can parse; the file was moved to `keptAs` (nil if even that failed).
    case corrupt(path: String, reason: String, keptAs: String?)
    /// Written by a newer samterm.
    case unsupportedVersion(path: String, version: Int, supported: Int)
    /// The session belongs to different image content (the file was edited or replaced).
    case imageMismatch(path: String, sessionSHA256: String, imageSHA256: String)
    /// The masks came from another model; replaying the prompts would give different ones.
    case modelMismatch(path: String, sessionModel: String, currentModel: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): cannot read the session: \(reason)"
        case .corrupt(let path, let reason, let keptAs):
            let kept = keptAs.map { "; it was kept as \($0)" } ?? "; it could not be moved aside and was left in place"
            return "\(path): the session file is corrupt (\(reason))\(kept)."
        case .unsupportedVersion(let path, let version, let supported):
            return "\(path): session format version \(version) is newer than this samterm reads (up to \(supported)); the file was left unchanged"
        case .imageMismatch(let path, let sessionSHA256, let imageSHA256):
            return "\(path): the session was made for other image content (image SHA-256 \(sessionSHA256.prefix(12))…, "
                + "this image is \(imageSHA256.prefix(12))…); it was not applied and was left unchanged"
        case .modelMismatch(let path, let sessionModel, let currentModel):
            return "\(path): the session was made with model \(sessionModel), not \(currentModel); "
                + "it was not applied and was left unchanged"
        }
    }
}

public struct SessionStore: Sendable {
    /// The session file.
    public let path: String
    /// Whether loading moves a corrupt file aside. Off for a reader that does not own the file
    /// (a read-only editor: the file is its holder's to deal with).
    public var setsCorruptAside = true

    public init(path: String, setsCorruptAside: Bool = true) {
        self.path = path
        self.setsCorruptAside = setsCorruptAside
    }

    /// `IMAGE.samterm.json` beside the image, or with the same name inside `folder`.
    public init(imagePath: String, folder: String? = nil) {
        self.init(path: SessionStore.sessionPath(forImage: imagePath, folder: folder))
    }

    public static let fileSuffix = ".samterm.json"

    public static func sessionPath(forImage imagePath: String, folder: String? = nil) -> String {
        let name = (imagePath as NSString).lastPathComponent + fileSuffix
        guard let folder else { return imagePath + fileSuffix }
        return (folder as NSString).appendingPathComponent(name)
    }

    /// How the session names `imagePath`: relative when the image sits in the session's folder
    /// (so the pair can move together), absolute otherwise.
    public func imageReferencePath(for imagePath: String) -> String {
        let imageFolder = Self.absolute((imagePath as NSString).deletingLastPathComponent)
        let sessionFolder = Self.absolute((path as NSString).deletingLastPathComponent)
        return imageFolder == sessionFolder ? (imagePath as NSString).lastPathComponent : Self.absolute(imagePath)
    }

    /// The image a loaded session refers to, resolved against the session's folder.
    public func resolvedImagePath(of session: Session) -> String {
        if session.image.path.hasPrefix("/") { return session.image.path }
        return ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(session.image.path)
    }

    private static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return (full as NSString).standardizingPath
    }

    // MARK: - Saving

    /// The file's bytes, in this samterm's format version (an older file read and saved again is
    /// written in the current one, which reads the same).
    public static func encode(_ session: Session) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var current = session
        current.version = Session.currentVersion
        return [UInt8](try encoder.encode(current)) + [UInt8(ascii: "\n")]
    }

    /// Writes the whole session or nothing (temporary file, fsync, rename): a crash or a full
    /// disk leaves the previous save intact.
    public func save(_ session: Session) throws {
        try AtomicFileWriter.write(try Self.encode(session), to: path, replacing: true)
    }

    /// Writes `session` beside the session file as NAME.conflict-<UTC timestamp> (never replacing
    /// a file), for when the session file changed under us and ours must not overwrite it.
    /// Returns the path written.
    public func saveAside(_ session: Session) throws -> String {
        let bytes = try Self.encode(session)
        let base = Self.asideName(path, "conflict")
        for attempt in 1...100 {
            let target = attempt == 1 ? base : "\(base)-\(attempt)"
            do {
                try AtomicFileWriter.write(bytes, to: target, replacing: false)
                return target
            } catch let error as FileWriteError where error.reason == .alreadyExists {
                continue
            }
        }
        throw SessionError.unreadable(path: base, reason: "too many conflict files")
    }

    // MARK: - Loading

    public var exists: Bool { access(path, F_OK) == 0 }

    /// Which file stands at the path and how it was last written; nil when there is none.
    /// A save renames a new file into place, so any save by anyone changes the fingerprint.
    public var fingerprint: FileFingerprint? { FileFingerprint(path: path) }

    /// The session in the file, or nil when there is none. Checks only the file itself:
    /// corrupt → moved aside and `.corrupt`; newer format → `.unsupportedVersion`.
    public func load() throws -> Session? {
        let bytes: Data
        do {
            guard exists else { return nil }
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                throw SessionError.unreadable(path: path, reason: "it is a folder")
            }
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw SessionError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            defer { try? handle.close() }
            bytes = try handle.readToEnd() ?? Data()
        } catch let error as SessionError {
            throw error
        } catch {
            throw SessionError.unreadable(path: path, reason: error.localizedDescription)
        }
        return try decode(bytes)
    }

    /// Loads and checks that the session fits this image and model. Mismatches are reported,
    /// never applied; the file stays as it is so the user can decide. A session without any
    /// prediction (imported masks, strokes) depends on no model: it is taken for `model`.
    public func load(imageSHA256: String, model: String) throws -> Session? {
        guard var session = try load() else { return nil }
        if session.image.sha256 != imageSHA256 {
            throw SessionError.imageMismatch(path: path, sessionSHA256: session.image.sha256, imageSHA256: imageSHA256)
        }
        if session.model != model {
            guard session.isModelIndependent else {
                throw SessionError.modelMismatch(path: path, sessionModel: session.model, currentModel: model)
            }
            session.model = model
        }
        return session
    }

    /// Just the header, read first so that a newer format is not mistaken for corruption.
    private struct Header: Decodable {
        var format: String?
        var version: Int?
    }

    private func decode(_ bytes: Data) throws -> Session {
        let decoder = JSONDecoder()
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: bytes)
        } catch {
            if bytes.isEmpty { throw corrupt("the file is empty") }
            do {
                _ = try JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed])
            } catch {
                // JSONSerialization says where the syntax breaks; JSONDecoder only that it does.
                let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
                throw corrupt("not valid JSON" + (detail.map { ": \($0)" } ?? ""))
            }
            throw corrupt("JSON, but not a session object")
        }
        guard header.format == Session.formatName else {
            throw corrupt(header.format.map { "\"format\" is \"\($0)\", not \"\(Session.formatName)\"" }
                          ?? "no \"format\": \"\(Session.formatName)\" field")
        }
        guard let version = header.version, version >= 1 else { throw corrupt("no valid \"version\" field") }
        if version > Session.currentVersion {
            throw SessionError.unsupportedVersion(path: path, version: version, supported: Session.currentVersion)
        }
        let session: Session
        do {
            session = try decoder.decode(Session.self, from: bytes)
        } catch {
            throw corrupt(Self.describe(error))
        }
        let problems = session.validationProblems()
        if !problems.isEmpty { throw corrupt(problems.prefix(3).joined(separator: "; ")) }
        return session
    }

    /// Moves the file aside (never deleting it) and builds the error that says where it went.
    private func corrupt(_ reason: String) -> SessionError {
        let keptAs = setsCorruptAside ? moveAside() : nil
        return .corrupt(path: path, reason: reason, keptAs: keptAs)
    }

    /// Renames the file to NAME.corrupt-<UTC timestamp>, adding -2, -3... if that exists.
    /// link + unlink rather than rename, so an existing file of that name is never replaced.
    private func moveAside() -> String? {
        let base = Self.asideName(path, "corrupt")
        for attempt in 1...100 {
            let target = attempt == 1 ? base : "\(base)-\(attempt)"
            if link(path, target) == 0 {
                unlink(path)
                return target
            }
            if errno == EEXIST { continue }
            // No hard links on this file system: rename, having checked the name is free.
            if access(target, F_OK) != 0 && rename(path, target) == 0 { return target }
            return nil
        }
        return nil
    }

    /// PATH.KIND-<UTC timestamp>.
    static func asideName(_ path: String, _ kind: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return "\(path).\(kind)-\(formatter.string(from: Date()))"
    }

    /// DecodingError's description is long and generic; say which field and why.
    static func describe(_ error: Error) -> String {
        func location(_ path: [CodingKey]) -> String {
            let text = path.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            return text.isEmpty ? "the top level" : String(text.drop(while: { $0 == "." }))
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing \"\(key.stringValue)\" in \(location(context.codingPath))"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return "\(location(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context)?:
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return context.codingPath.isEmpty
                ? (underlying ?? context.debugDescription)
                : "\(location(context.codingPath)): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}


/// A file's identity and last write, to notice that someone else replaced or changed it.
public struct FileFingerprint: Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modifiedSeconds: Int
    public var modifiedNanoseconds: Int

    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        modifiedSeconds = info.st_mtimespec.tv_sec
        modifiedNanoseconds = info.st_mtimespec.tv_nsec
        #else
        modifiedSeconds = info.st_mtim.tv_sec
        modifiedNanoseconds = info.st_mtim.tv_nsec
        #endif
    }
}
