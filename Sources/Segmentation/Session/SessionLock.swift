// One editor per session file: `IMAGE.samterm.json.lock` beside the session names the samterm
// that edits it (pid, host, start time), so a second editor finds out instead of overwriting it.
//
// The holder also keeps an flock(2) on the lock file for as long as it runs. The kernel drops
// that lock when the process ends however it ends (SIGKILL included), so on this host a lock
// file whose flock is free is stale, whatever its pid has become since (pids are reused). A
// holder on another host is never assumed gone: its name is shown so that the user can decide.
//
// Every change to the path (creating, replacing a stale lock, removing it) is made while holding
// the flock of the file at the path, and after taking an flock the path is checked to still name
// that file: two editors racing for one lock cannot both win.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

public final class SessionLock: @unchecked Sendable {
    /// Who holds a lock, as written in the file.
    public struct Holder: Codable, Equatable, Sendable {
        public var pid: Int32
        public var host: String
        /// When the holder took the lock (ISO 8601, UTC).
        public var started: String

        public init(pid: Int32, host: String, started: String) {
            self.pid = pid
            self.host = host
            self.started = started
        }

        /// "pid 1234 on host", for messages.
        public var description: String {
            pid > 0 ? "pid \(pid) on \(host.isEmpty ? "an unnamed host" : host)" : "a process that did not write its name"
        }

        /// This process.
        public static var current: Holder {
            let formatter = ISO8601DateFormatter()
            return Holder(pid: getpid(), host: SessionLock.hostName, started: formatter.string(from: Date()))
        }
    }

    public enum Acquisition: Sendable {
        case acquired(SessionLock)
        /// Another live samterm holds it (or one on another host, which is not assumed gone).
        case heldBy(Holder)
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public static let fileSuffix = ".lock"

    /// The lock file's path.
    public let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { release() }

    public static func lockPath(forSession sessionPath: String) -> String { sessionPath + fileSuffix }

    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(cString: buffer)
    }

    /// Takes the lock of the session file at `sessionPath`, taking over a stale one.
    /// Throws when the lock file cannot be made at all (a read-only folder, a missing one).
    public static func acquire(sessionPath: String, as holder: Holder = .current) throws -> Acquisition {
        let path = lockPath(forSession: sessionPath)
        var heldUnnamed = false
        for _ in 0..<20 {
            let created = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if created >= 0 {
                let flocked = flock(created, LOCK_EX | LOCK_NB) == 0
                // Someone may have judged the empty new file stale and replaced it: start again.
                if (!flocked && errno == EWOULDBLOCK) || !names(path, created) {
                    close(created)
                    continue
                }
                guard writeHolder(holder, to: created) else {
                    let reason = String(cString: strerror(errno))
                    unlink(path)
                    close(created)
                    throw Failure(description: "\(path): cannot write the lock file: \(reason)")
                }
                return .acquired(SessionLock(path: path, descriptor: created))
            }
            guard errno == EEXIST else {
                throw Failure(description: "\(path): cannot create the lock file: \(String(cString: strerror(errno)))")
            }
            let existing = open(path, O_RDONLY | O_CLOEXEC)
            guard existing >= 0 else { continue }  // released meanwhile
            let flocked = flock(existing, LOCK_EX | LOCK_NB) == 0
            let flockWorks = flocked || errno == EWOULDBLOCK
            let current = readHolder(existing)
            if !names(path, existing) {
                close(existing)
                continue
            }
            if flocked || !flockWorks {
                // Nobody holds its flock (or the file system has no flock: then the pid decides).
                if let current, current.host != holder.host {
                    close(existing)
                    return .heldBy(current)
                }
                if let current, !flockWorks, isAlive(current.pid) {
                    close(existing)
                    return .heldBy(current)
                }
                // Stale: its holder is gone. Removed while we hold its flock; taken on the next round.
                unlink(path)
                close(existing)
                continue
            }
            close(existing)
            // Held, but its holder may not have written its name yet: ask again shortly.
            guard let current else {
                heldUnnamed = true
                usleep(20_000)
                continue
            }
            return .heldBy(current)
        }
        if heldUnnamed { return .heldBy(Holder(pid: 0, host: "", started: "")) }
        throw Failure(description: "\(path): the lock file keeps changing; another samterm may be starting on this image")
    }

    /// Removes the lock file (if it is still ours) and drops the flock. Safe to call twice.
    public func release() {
        guard descriptor >= 0 else { return }
        if Self.names(path, descriptor) { unlink(path) }
        close(descriptor)
        descriptor = -1
    }

    /// The holder named in the lock file of `sessionPath`, if there is one.
    public static func holder(ofSession sessionPath: String) -> Holder? {
        let descriptor = open(lockPath(forSession: sessionPath), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return readHolder(descriptor)
    }

    // MARK: - Helpers

    /// Whether `path` still names the open file `descriptor`.
    private static func names(_ path: String, _ descriptor: Int32) -> Bool {
        var atPath = stat(), opened = stat()
        guard stat(path, &atPath) == 0, fstat(descriptor, &opened) == 0 else { return false }
        return atPath.st_dev == opened.st_dev && atPath.st_ino == opened.st_ino
    }

    private static func isAlive(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH)
    }

    private static func writeHolder(_ holder: Holder, to descriptor: Int32) -> Bool {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(holder) else { return false }
        // Every byte or a failure: a holder cut short would read as a stale lock.
        return (try? AtomicFileWriter.writeAll([UInt8](data) + [UInt8(ascii: "\n")], to: descriptor, path: "lock")) != nil
    }

    private static func readHolder(_ descriptor: Int32) -> Holder? {
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = pread(descriptor, &bytes, bytes.count, 0)
        guard count > 0 else { return nil }
        return try? JSONDecoder().decode(Holder.self, from: Data(bytes[0..<count]))
    }
}
