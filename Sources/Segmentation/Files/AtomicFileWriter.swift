// Writes a whole file or nothing: exports and session autosaves must never leave a half file,
// and a failure (full disk, no permission) must leave whatever was there before untouched.
//
// The bytes go to a temporary file in the target's folder (same file system, so the final
// rename is atomic), are flushed with fsync, then take the target's name. Replacing uses
// rename(2); refusing to replace uses link(2), which fails with EEXIST instead of overwriting,
// so a file that appears between a check and the write is still never clobbered. What stands
// at the path is respected (OutputTarget): a symbolic link is written through, a device or a
// pipe is written to, never replaced by a file.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

public enum AtomicFileWriter {
    /// - Parameter replacing: false refuses to overwrite an existing file (`.alreadyExists`).
    /// - Parameter mode: permissions of a new file (the umask applies).
    public static func write(_ bytes: [UInt8], to path: String, replacing: Bool = true, mode: mode_t = 0o644) throws {
        let files = StagedFiles(replacing: replacing, mode: mode)
        try files.stage(bytes, at: path)
        try files.commit()
    }

    public static func write(_ data: Data, to path: String, replacing: Bool = true, mode: mode_t = 0o644) throws {
        try write([UInt8](data), to: path, replacing: replacing, mode: mode)
    }

    /// Creates the temporary file for a target `name` in `folder`; returns its descriptor and path.
    public typealias TemporaryOpener = (_ folder: String, _ name: String) throws -> (descriptor: Int32, path: String)

    /// As `write(_:to:replacing:mode:)`, with the temporary file made by `openTemporary`. This
    /// is how tests reach failures no file system produces on demand: handing back a
    /// descriptor of /dev/full makes the write fail as on a full disk.
    public static func write(_ bytes: [UInt8], to path: String, replacing: Bool,
                             openTemporary: @escaping TemporaryOpener) throws {
        let files = StagedFiles(replacing: replacing, openTemporary: openTemporary)
        try files.stage(bytes, at: path)
        try files.commit()
    }

    /// Writes all of `bytes` to `descriptor`; the error names `path`.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileWriteError(path: path, errno: errno)
            }
            written += count
        }
    }

    private static func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(descriptor, buffer, count)
        #else
        return Darwin.write(descriptor, buffer, count)
        #endif
    }

    static func linkWithoutReplacing(_ source: String, to path: String) throws {
        if link(source, path) == 0 { return }
        let code = errno
        // Some file systems (FAT, some network mounts) have no hard links: fall back to a check
        // and a rename, which is only racy against another writer appearing in between.
        guard code == EPERM || code == EOPNOTSUPP || code == EMLINK || code == ENOSYS else {
            throw FileWriteError(path: path, errno: code)
        }
        if access(path, F_OK) == 0 { throw FileWriteError(path: path, reason: .alreadyExists) }
        guard rename(source, path) == 0 else { throw FileWriteError(path: path, errno: errno) }
    }

    /// A new file `.NAME.partial-XXXXXX` beside the target, created with `mode` (the umask
    /// applies, as for any new file) and O_EXCL, so an existing file is never reused.
    static func openTemporaryFile(folder: String, name: String, mode: mode_t) throws -> (descriptor: Int32, path: String) {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        for _ in 0..<100 {
            let suffix = String((0..<6).map { _ in letters.randomElement()! })
            let path = "\(folder)/.\(name).partial-\(suffix)"
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            if descriptor >= 0 { return (descriptor, path) }
            let code = errno
            if code == EEXIST { continue }
            // Name the folder: that is what cannot take a new file.
            let error = FileWriteError(path: folder, errno: code)
            if case .system(let why) = error.reason {
                throw FileWriteError(path: folder, reason: .system("cannot create a file in this folder: \(why)"))
            }
            throw error
        }
        throw FileWriteError(path: folder, reason: .system("cannot find a free temporary file name"))
    }

    /// Makes a rename durable. Failing here no longer endangers any data.
    static func syncFolder(_ folder: String) {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    /// Creates `path` and its missing parents, reporting the first component that fails.
    public static func createFolder(_ path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw FileWriteError(path: path, reason: .notAFolder) }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try createFolder(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw FileWriteError(path: path, errno: errno) }
    }
}
