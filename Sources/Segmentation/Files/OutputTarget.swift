// What stands at an output path decides how it is written: a new or regular file is replaced
// atomically; a symbolic link is followed so that its target is replaced and the link stays; a
// character device or a pipe (/dev/null, /dev/stdout, a FIFO someone reads) is written to, since
// renaming a file over it would destroy it; anything else is refused.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

enum OutputTarget: Equatable {
    /// A regular file, or none yet: written through a temporary file renamed to this path.
    case file(String)
    /// A character device or a pipe: opened and written in place.
    case stream(String)

    /// Where writing `path` goes. Throws, naming `path`, for a folder, a socket, a block device,
    /// or a loop of links.
    static func resolve(_ path: String) throws -> OutputTarget {
        var followed = stat()
        if stat(path, &followed) == 0 {
            switch followed.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFDIR: throw FileWriteError(path: path, reason: .system("it is a folder, not a file"))
            case S_IFCHR, S_IFIFO: return .stream(path)
            case S_IFSOCK: throw FileWriteError(path: path, reason: .system("it is a socket; samterm writes files, pipes and character devices"))
            case S_IFBLK: throw FileWriteError(path: path, reason: .system("it is a block device (a disk); samterm does not write there"))
            default: throw FileWriteError(path: path, reason: .system("it is not a regular file"))
            }
        }
        // Follow the links by hand to the file they name (which may not exist yet), so the
        // rename lands on it. Links through /proc (/dev/stdout redirected to a file) name an
        // open file, not a path to rename over: write those in place.
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return .file(current) }
            guard let target = readLink(current) else { throw FileWriteError(path: path, errno: errno) }
            let folder = (current as NSString).deletingLastPathComponent
            current = target.hasPrefix("/") || folder.isEmpty ? target : (folder as NSString).appendingPathComponent(target)
            if current.hasPrefix("/proc/") { return .stream(path) }
        }
        throw FileWriteError(path: path, reason: .system("too many levels of symbolic links"))
    }

    private static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Writes `bytes` in place: to a pipe or device as a stream, to a regular file reached
    /// through /proc truncated first.
    static func writeInPlace(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else { throw FileWriteError(path: path, errno: errno) }
        defer { close(descriptor) }
        var info = stat()
        if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
            guard ftruncate(descriptor, 0) == 0 else { throw FileWriteError(path: path, errno: errno) }
        }
        try AtomicFileWriter.writeAll(bytes, to: descriptor, path: path)
    }
}
