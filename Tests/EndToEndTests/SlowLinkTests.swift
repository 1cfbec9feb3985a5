// The editor on a slow link: a pseudo-terminal read at 2 Mbit/s. Frames that are out of date
// must not queue: after ten quick clicks the tenth click's mask is on the screen within a second
// of its prediction, and no earlier frame comes after it.
import XCTest
import Foundation

final class SlowLinkTests: XCTestCase {
    /// Bytes per second the terminal takes: 2 Mbit/s.
    static let rate = 250_000.0

    func testTenQuickClicksDoNotQueueFramesOnASlowLink() throws {
        let binary = EditorEndToEndTests.binary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            return XCTFail("\(binary.path) is missing: build the samterm product first")
        }
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-slow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("frames.log")
        let image = EditorEndToEndTests.repositoryRoot.appendingPathComponent("Resources/samples/astronaut.jpg")
        let checkpoint = EditorEndToEndTests.fixtures.appendingPathComponent("tiny_sam2.1.pt")

        // Sixel in 80 x 24 cells of 8 x 16 pixels: the random-weight model's speckled masks make
        // most click frames nearly whole, about 150 KB, 0.6 s at this rate, more than the time
        // between predictions: queued one after another they would take seconds.
        let terminal = try SlowTerminal(columns: 80, rows: 24, cellWidth: 8, cellHeight: 16, sixel: true, rate: Self.rate)
        defer { terminal.close() }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["edit", image.path, "--checkpoint", checkpoint.path, "--device", "cpu",
                             "--session-dir", folder.path]
        process.environment = ["TERM": "xterm-256color", "LC_ALL": "C.UTF-8", "HOME": folder.path,
                               "XDG_CACHE_HOME": folder.appendingPathComponent("cache").path, "SAMTERM_FRAME_LOG": log.path,
                               "PATH": "/usr/bin:/bin"]
        process.standardInput = terminal.slave
        process.standardOutput = terminal.slave
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        try waitFor("the image encoded", timeout: 60) { Self.lines(log).contains { $0.hasPrefix("image-encoded") } }
        try waitFor("the first frame read", timeout: 20) { terminal.isDrained(after: 0.3) }
        // A click every 0.15 s: faster than a frame crosses the link.
        for _ in 1...10 {
            terminal.send("ll ")
            Thread.sleep(forTimeInterval: 0.15)
        }
        // The tenth click's prediction: the newest one made.
        var last = 0
        try waitFor("ten predictions", timeout: 30) {
            last = Self.predictions(log).keys.max() ?? 0
            return Self.predictions(log).count >= 1 && Self.lines(log).contains { $0.contains("frame-written") && $0.contains("request=\(last) ") }
        }
        Thread.sleep(forTimeInterval: 1)  // any frame that would come after it
        try waitFor("the link idle", timeout: 30) { terminal.isDrained(after: 0.3) }
        let predictions = Self.predictions(log)
        last = predictions.keys.max() ?? 0
        let frames = Self.lines(log).filter { $0.hasPrefix("frame-written") }.map { line -> (request: Int?, at: Double, bytes: Int) in
            (Self.field("request", line).flatMap(Int.init), Double(Self.field("at", line) ?? "") ?? 0,
             Int(Self.field("bytes", line) ?? "") ?? 0)
        }
        let predicted = try XCTUnwrap(predictions[last])
        let shown = try XCTUnwrap(frames.firstIndex { $0.request == last }, "a frame with request \(last): \(frames)")
        // Everything written up to that frame is read by the time the link has drained what was
        // written before it.
        let onScreen = try XCTUnwrap(terminal.timeAllRead(writtenBy: frames[shown].at))
        XCTAssertTrue(Self.lines(log).contains { $0.contains("renderer=sixel") }, "sixel chosen")
        XCTAssertLessThanOrEqual(onScreen - predicted, 1.0, "the last click's mask reached the screen \(onScreen - predicted) s after its prediction")
        let requests = frames.compactMap(\.request)
        XCTAssertEqual(requests, requests.sorted(), "no frame shows an older prediction than the one before it")
        XCTAssertTrue(frames[shown...].allSatisfy { ($0.request ?? 0) >= last }, "no earlier frame after the last one: \(frames)")
        let sent = frames.map(\.bytes).reduce(0, +)
        print("slow link: \(predictions.count) predictions, \(frames.count) frames written (\(sent) B), last mask on screen "
              + String(format: "%.2f s after its prediction", onScreen - predicted))
        if onScreen - predicted > 1.0 { print(Self.lines(log).filter { !$0.hasPrefix("input-to") }.joined(separator: "\n")) }
        process.terminate()
        process.waitUntilExit()
    }

    func waitFor(_ what: String, timeout: Double, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() > deadline { throw Failure(what: what) }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out waiting for \(what)" }
    }

    static func lines(_ log: URL) -> [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Each prediction's arrival time, by request id.
    static func predictions(_ log: URL) -> [Int: Double] {
        var times: [Int: Double] = [:]
        for line in lines(log) where line.hasPrefix("prediction ") {
            if let id = field("request", line).flatMap(Int.init), let at = field("at", line).flatMap(Double.init) { times[id] = at }
        }
        return times
    }

    static func field(_ name: String, _ line: String) -> String? {
        line.split(separator: " ").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }
}

/// A pseudo-terminal whose reader takes at most `rate` bytes a second, answering the editor's
/// terminal queries like a plain xterm, and noting when it read what.
final class SlowTerminal: @unchecked Sendable {
    let master: Int32
    let slave: FileHandle
    private let lock = NSLock()
    /// After each read: when, the bytes read so far, and those written so far (read or waiting).
    private var reads: [(at: Double, total: Int, written: Int)] = []
    private var lastRead = ProcessInfo.processInfo.systemUptime
    private var running = true

    init(columns: Int, rows: Int, cellWidth: Int, cellHeight: Int, sixel: Bool, rate: Double) throws {
        master = c_posix_openpt(O_RDWR | O_NOCTTY)
        guard master >= 0, c_grantpt(master) == 0, c_unlockpt(master) == 0, let name = c_ptsname(master) else {
            throw CocoaError(.fileNoSuchFile)
        }
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: UInt16(columns * cellWidth),
                           ws_ypixel: UInt16(rows * cellHeight))
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        let descriptor = open(name, O_RDWR | O_NOCTTY)
        guard descriptor >= 0 else { throw CocoaError(.fileNoSuchFile) }
        slave = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        let master = self.master
        let answer = sixel ? "\u{1b}[?62;4;22c" : "\u{1b}[?62;1;2;22c"  // DA1 of a VT220-like terminal, with or without sixel
        Thread { [weak self] in self?.read(master: master, rate: rate, answer: answer) }.start()
    }

    private func read(master: Int32, rate: Double, answer: String) {
        let started = ProcessInfo.processInfo.systemUptime
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 2_500)
        var answered = false
        var recent: [UInt8] = []
        while lock.withLock({ running }) {
            // Keep to the rate: wait until the bytes read so far are due.
            let due = started + Double(total) / rate
            let now = ProcessInfo.processInfo.systemUptime
            if due > now { Thread.sleep(forTimeInterval: due - now); continue }
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 20) > 0 else { continue }
            let count = Glibc.read(master, &buffer, buffer.count)
            if count <= 0 { break }
            total += count
            let at = ProcessInfo.processInfo.systemUptime
            var waiting: Int32 = 0
            _ = ioctl(master, UInt(FIONREAD), &waiting)
            lock.withLock {
                reads.append((at, total, total + Int(waiting)))
                lastRead = at
            }
            if !answered {
                recent += buffer[0..<count]
                if recent.count > 64 { recent.removeFirst(recent.count - 64) }
                if String(decoding: recent, as: UTF8.self).contains("\u{1b}[c") {
                    answered = true
                    send(answer)
                }
            }
        }
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Nothing came for `quiet` seconds.
    func isDrained(after quiet: Double) -> Bool {
        ProcessInfo.processInfo.systemUptime - lock.withLock { lastRead } >= quiet
    }

    /// When the reader had read everything written by `time` (monotonic seconds): what was
    /// written by then is at most what had been read or was waiting at the first read after it.
    func timeAllRead(writtenBy time: Double) -> Double? {
        lock.withLock {
            // No read after it: the reader had already taken everything (it reads as soon as the
            // bytes are there, and `time` was taken just after the write).
            guard let next = reads.first(where: { $0.at >= time }) else { return time }
            return reads.first { $0.total >= next.written }?.at
        }
    }

    func close() {
        lock.withLock { running = false }
        Thread.sleep(forTimeInterval: 0.05)
        Glibc.close(master)
    }
}

// Glibc's module leaves the pseudo-terminal calls out (they need _XOPEN_SOURCE); they are plain C.
@_silgen_name("posix_openpt") private func c_posix_openpt(_ flags: Int32) -> Int32
@_silgen_name("grantpt") private func c_grantpt(_ descriptor: Int32) -> Int32
@_silgen_name("unlockpt") private func c_unlockpt(_ descriptor: Int32) -> Int32
@_silgen_name("ptsname") private func c_ptsname(_ descriptor: Int32) -> UnsafeMutablePointer<CChar>?
