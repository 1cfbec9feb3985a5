// Whatever happens, the terminal is given back as it was: signals, crashes, normal exits.
import Foundation

/// Signal handling for the editor. Termination signals (SIGTERM, SIGHUP, SIGINT, SIGQUIT) ask the
/// main loop to end through the wake pipe, so it restores the terminal with curses; a second one
/// restores it directly and exits. Crashes restore it directly before the default action.
enum TerminalGuard {
    // Read by signal handlers: set once before they are installed.
    nonisolated(unsafe) private static var wakeDescriptor: Int32 = -1
    nonisolated(unsafe) private static var savedTerminal = termios()
    nonisolated(unsafe) private static var hasSavedTerminal = false
    nonisolated(unsafe) private static var terminationRequests: Int32 = 0
    nonisolated(unsafe) private static var restoreSequence: UnsafeMutableBufferPointer<UInt8> = {
        // Leave the alternate screen, show the cursor, stop mouse reports, reset colours and the
        // keypad mode; each is harmless when it was not on.
        let text = "\u{1b}[0m\u{1b}[?1000l\u{1b}[?1002l\u{1b}[?1003l\u{1b}[?1006l\u{1b}[?25h\u{1b}[?1l\u{1b}>\u{1b}[?1049l\r\n"
        let bytes = Array(text.utf8)
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
        _ = buffer.initialize(from: bytes)
        return buffer
    }()

    /// Deletes the kitty images samterm placed, written before `restoreSequence` (empty unless the
    /// kitty renderer is in use); preallocated like it, since a handler cannot allocate.
    nonisolated(unsafe) private static var graphicsCleanup = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)

    static let terminationSignals: [Int32] = [SIGTERM, SIGHUP, SIGINT, SIGQUIT]
    static let crashSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]

    nonisolated(unsafe) private static var lastTerminationSignal: Int32 = 0

    /// The termination signal that arrived, if any (the main loop checks after each wake-up).
    static var terminationSignal: Int32? { terminationRequests > 0 ? lastTerminationSignal : nil }

    /// Records the terminal's settings and installs the handlers. Call before curses starts.
    static func install(wakeDescriptor descriptor: Int32) {
        wakeDescriptor = descriptor
        _ = restoreSequence
        hasSavedTerminal = tcgetattr(STDIN_FILENO, &savedTerminal) == 0
        for signalNumber in terminationSignals { setHandler(signalNumber, onTermination) }
        for signalNumber in crashSignals { setHandler(signalNumber, onCrash) }
    }

    /// What a direct restore also writes to remove samterm's pictures. Call once, before any is drawn.
    static func setGraphicsCleanup(_ bytes: [UInt8]) {
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
        _ = buffer.initialize(from: bytes)
        graphicsCleanup = buffer
    }

    /// Puts the default handlers back (after curses has restored the terminal).
    static func uninstall() {
        for signalNumber in terminationSignals + crashSignals { signal(signalNumber, SIG_DFL) }
    }

    private static func setHandler(_ signalNumber: Int32, _ handler: @escaping @convention(c) (Int32) -> Void) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(signalNumber, &action, nil)
    }

    /// Async-signal-safe: raw writes and tcsetattr only.
    static func restoreDirectly() {
        if graphicsCleanup.count > 0 { _ = write(STDOUT_FILENO, graphicsCleanup.baseAddress, graphicsCleanup.count) }
        _ = write(STDOUT_FILENO, restoreSequence.baseAddress, restoreSequence.count)
        if hasSavedTerminal { _ = tcsetattr(STDIN_FILENO, TCSANOW, &savedTerminal) }
    }

    private static let onTermination: @convention(c) (Int32) -> Void = { signalNumber in
        TerminalGuard.lastTerminationSignal = signalNumber
        TerminalGuard.terminationRequests += 1
        if TerminalGuard.terminationRequests > 1 {
            TerminalGuard.restoreDirectly()
            _exit(128 + signalNumber)
        }
        var byte: UInt8 = 0
        _ = write(TerminalGuard.wakeDescriptor, &byte, 1)
    }

    private static let onCrash: @convention(c) (Int32) -> Void = { signalNumber in
        TerminalGuard.restoreDirectly()
        signal(signalNumber, SIG_DFL)
        raise(signalNumber)
    }
}
