// The image's bytes written to the terminal without blocking the main loop. On a slow link
// (SSH, a busy pty) the loop keeps taking input and predictions while a frame is on its way,
// and draws the next frame only once this one is out: frames that are already out of date are
// never made, so none queue behind it, and the next one shows the newest state.
import Foundation

final class TerminalOutput {
    private let descriptor: Int32
    private var pending: [UInt8] = []
    private var offset = 0
    /// Where the frame may stop early (the end of each whole piece), and what ends it then.
    private var breaks: [Int] = []
    private var suffix: [UInt8] = []
    /// Pieces of the last frame written when it was stopped early; nil when it went out whole.
    private(set) var piecesWritten: Int?

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Nothing left to write: the terminal has (or its link holds) everything sent.
    var isIdle: Bool { offset >= pending.count }

    /// Starts writing a frame, `bytes` then `suffix`; only when the last one is out (a
    /// half-written escape sequence or sixel image must be finished before anything else).
    /// `breaks` are offsets in `bytes` after which the frame may be cut short (`stopEarly`).
    func send(_ bytes: [UInt8], breaks: [Int] = [], suffix: [UInt8] = []) {
        precondition(isIdle, "a frame is sent while the last one is still being written")
        pending = bytes + suffix
        offset = 0
        self.breaks = breaks
        self.suffix = suffix
        piecesWritten = nil
        writeAvailable()
    }

    /// A newer frame waits: end this one after the piece being written, then the suffix.
    func stopEarly() {
        guard !isIdle, piecesWritten == nil,
              let index = breaks.firstIndex(where: { $0 >= offset && $0 < pending.count - suffix.count }) else { return }
        pending = Array(pending[..<breaks[index]]) + suffix
        piecesWritten = index + 1
    }

    /// Writes what the terminal takes now, without waiting; true when everything is written.
    /// The descriptor is non-blocking only meanwhile: curses writes to it too, and expects
    /// its writes to block.
    @discardableResult
    func writeAvailable() -> Bool {
        guard !isIdle else { return true }
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(descriptor, F_SETFL, flags) }
        while offset < pending.count {
            let written = pending[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return false }
                offset = pending.count  // the terminal is gone: nothing more can be shown
            } else {
                offset += written
            }
        }
        pending = []
        offset = 0
        return true
    }

    /// Writes the rest, waiting as long as it takes: before leaving, so that the terminal is
    /// not left inside an escape sequence.
    func finish() {
        while !writeAvailable() {
            var descriptor = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            _ = poll(&descriptor, 1, 1000)
        }
    }
}
