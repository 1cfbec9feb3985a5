// Running a user's command line on a file (the cut-out handed to any command: `samterm describe`,
// the editor's `!`): through /bin/sh, in a process group of its own so a timeout or a cancel ends
// its children too, its output and errors read together and capped.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct CommandResult: Equatable, Sendable {
    public enum Ending: Equatable, Sendable {
        /// It ended by itself with this status (127: the shell found no such command).
        case exited(Int32)
        case killedBySignal(Int32)
        case timedOut(seconds: Double)
        case cancelled
    }

    public var ending: Ending
    /// Standard output and standard error as they came, cut at the cap.
    public var output: String

    public init(ending: Ending, output: String) {
        self.ending = ending
        self.output = output
    }

    public var succeeded: Bool { ending == .exited(0) }

    /// The first line with something on it, trimmed: what `--keep-name` keeps.
    public var firstLine: String? {
        output.split(whereSeparator: \.isNewline).lazy.map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
    }

    /// The first line as an object's name: control characters out, at most 60 characters (as
    /// names typed in the editor).
    public var nameLine: String? {
        firstLine.map { String(String($0.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }).prefix(60))
            .trimmingCharacters(in: .whitespaces) }
    }

    /// "exited with status 2", "timed out after 60 s", ...
    public var failure: String? {
        switch ending {
        case .exited(0): return nil
        case .exited(127): return "not found (the shell says status 127)"
        case .exited(let status): return "exited with status \(status)"
        case .killedBySignal(let signal): return "killed by signal \(signal)"
        case .timedOut(let seconds): return String(format: "timed out after %g s", seconds)
        case .cancelled: return "cancelled"
        }
    }
}

public enum CommandRunner {
    /// Output kept at most; the rest is read and dropped.
    public static let outputLimit = 64 * 1024

    /// `command` with `path` (shell-quoted) in place of every `{}`, or appended when it has none.
    public static func commandLine(_ command: String, path: String) -> String {
        let quoted = "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'"
        return command.contains("{}") ? command.replacingOccurrences(of: "{}", with: quoted) : command + " " + quoted
    }

    /// Runs `line` with /bin/sh -c, stdin from /dev/null; waits at most `timeout` seconds, and
    /// stops early when `cancelled` says so (asked a few times a second). Throws only when the
    /// process cannot be started.
    public static func run(_ line: String, timeout: Double, cancelled: @escaping () -> Bool = { false }) throws -> CommandResult {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw CommandError("cannot make a pipe: \(String(cString: strerror(errno)))") }
        defer { close(pipe[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addclose(&actions, pipe[1])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A group of its own (pgid = its pid): killing -pid ends the shell and what it started.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var pid: pid_t = 0
        let arguments = ["/bin/sh", "-c", line]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ)
        close(pipe[1])
        guard status == 0 else { throw CommandError("cannot start /bin/sh: \(String(cString: strerror(status)))") }

        var output: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 8192)
        let deadline = Date(timeIntervalSinceNow: timeout)
        var ending: CommandResult.Ending?
        var open = true
        while open {
            if cancelled() { ending = .cancelled; break }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { ending = .timedOut(seconds: timeout); break }
            var poller = pollfd(fd: pipe[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(left, 0.2) * 1000) + 1)
            if ready < 0 && errno != EINTR { break }
            guard ready > 0 else { continue }
            let count = read(pipe[0], &buffer, buffer.count)
            if count > 0 {
                output += buffer[0..<min(count, max(outputLimit - output.count, 0))]
            } else if count == 0 || errno != EINTR {
                open = false  // every writer closed its end (the command and its children are done with it)
            }
        }
        var waited: Int32 = 0
        // The output closed: the shell ends now, or (having closed it and gone on) at the deadline.
        while ending == nil {
            let done = waitpid(pid, &waited, WNOHANG)
            if done == pid { ending = Self.ending(waited); break }
            if done < 0 && errno != EINTR { ending = .exited(-1); break }
            if cancelled() { ending = .cancelled }
            else if deadline.timeIntervalSinceNow <= 0 { ending = .timedOut(seconds: timeout) }
            else { usleep(20_000) }
        }
        switch ending! {
        case .cancelled, .timedOut:
            kill(-pid, SIGKILL)
            while waitpid(pid, &waited, 0) < 0 && errno == EINTR {}
        default:
            break
        }
        return CommandResult(ending: ending!, output: String(decoding: output, as: UTF8.self))
    }

    private static func ending(_ status: Int32) -> CommandResult.Ending {
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .killedBySignal(signal)
    }
}

public struct CommandError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
