// Why writing an export or a session failed, in words a user can act on.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

public struct FileWriteError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Reason: Equatable, Sendable {
        /// The target exists and the caller asked not to replace it.
        case alreadyExists
        case diskFull
        case permissionDenied
        case readOnlyFileSystem
        /// Some component of the path is a file where a folder should be.
        case notAFolder
        case folderMissing
        /// Any other operating-system error, as strerror words it.
        case system(String)
    }

    /// The file (or folder) concerned.
    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    /// Classifies an errno value from open/write/fsync/rename/mkdir.
    public init(path: String, errno code: Int32) {
        self.path = path
        switch code {
        case EEXIST: reason = .alreadyExists
        case ENOSPC, EDQUOT: reason = .diskFull
        case EACCES, EPERM: reason = .permissionDenied
        case EROFS: reason = .readOnlyFileSystem
        case ENOTDIR: reason = .notAFolder
        case ENOENT: reason = .folderMissing
        default: reason = .system(String(cString: strerror(code)))
        }
    }

    public var description: String { "\(path): \(reasonText)" }

    public var reasonText: String {
        switch reason {
        case .alreadyExists: return "the file already exists and was not overwritten"
        case .diskFull: return "the disk is full (no space left on device); the file was not written"
        case .permissionDenied: return "permission denied; the file was not written"
        case .readOnlyFileSystem: return "the file system is read-only; the file was not written"
        case .notAFolder: return "part of the path is a file, not a folder"
        case .folderMissing: return "the folder does not exist"
        case .system(let why): return "cannot write: \(why)"
        }
    }
}
