#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Progress of a batch on standard error: on a terminal one bar redrawn in place, with rate and
/// ETA; in a log (not a terminal) plain lines at most every `interval` seconds, without escape
/// codes. Failures are always written, one line each, above the bar.
final class ProgressReporter {
    enum Style: Equatable {
        case terminal(columns: Int)
        case log(interval: Double)
    }

    enum Outcome {
        case processed
        case skipped
        case failed(String)
    }

    private let total: Int
    private let style: Style
    /// What is counted, for the rate: ("images/s", "img/s") or ("frames/s", "fps").
    private let rateUnit: (long: String, short: String)
    private let now: () -> Double
    private let write: (String) -> Void
    private let started: Double
    private(set) var summary = BatchSummary()
    /// Seconds spent on processed images: the basis of the rate and the ETA (skipped images
    /// take no time, and failures mostly none, so either would make the rate a fantasy).
    private var workSeconds: Double = 0
    private var itemStarted: Double = 0
    private var current = ""
    private var lastLogLine: Double
    private var barShown = false

    init(total: Int, style: Style, rateUnit: (long: String, short: String) = ("images/s", "img/s"), now: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime },
         write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.total = total
        self.style = style
        self.rateUnit = rateUnit
        self.now = now
        self.write = write
        started = now()
        lastLogLine = started
    }

    /// A bar on a terminal (standard error is one and TERM is not "dumb"), else log lines.
    static func styleForStandardError(environment: [String: String] = ProcessInfo.processInfo.environment) -> Style {
        guard isatty(STDERR_FILENO) == 1, environment["TERM"] != "dumb" else { return .log(interval: 10) }
        var size = winsize()
        let columns = ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
        return .terminal(columns: columns)
    }

    func begin(_ input: String) {
        current = (input as NSString).lastPathComponent
        itemStarted = now()
        if case .terminal = style { drawBar() }
    }

    func end(_ outcome: Outcome) {
        let time = now()
        switch outcome {
        case .processed:
            summary.processed += 1
            workSeconds += time - itemStarted
        case .skipped:
            summary.skipped += 1
        case .failed(let line):
            summary.failed += 1
            clearBar()
            write("failed: \(line)\n")
        }
        summary.seconds = time - started
        switch style {
        case .terminal:
            drawBar()
        case .log(let interval):
            if time - lastLogLine >= interval {
                lastLogLine = time
                write(statusText() + "\n")
            }
        }
    }

    /// Removes the bar; returns the counts and the elapsed time.
    func finish() -> BatchSummary {
        summary.seconds = now() - started
        clearBar()
        return summary
    }

    /// "37/100 (30 processed, 7 skipped, 0 failed), 2.50 images/s, ETA 0:25"
    func statusText() -> String {
        var text = "\(summary.total)/\(total) (\(summary.processed) processed, \(summary.skipped) skipped, \(summary.failed) failed)"
        if let rate = Self.rate(worked: summary.processed, seconds: workSeconds) {
            text += ", \(String(format: "%.2f", rate)) \(rateUnit.long), ETA " + Self.clockText(Double(total - summary.total) / rate)
        }
        return text
    }

    /// The bar's shorter text, to fit 80 columns: "37/100  2.50 img/s  ETA 0:25  7 skipped  1 failed"
    func barText() -> String {
        var text = "\(summary.total)/\(total)"
        if let rate = Self.rate(worked: summary.processed, seconds: workSeconds) {
            text += "  \(String(format: "%.2f", rate)) \(rateUnit.short)  ETA " + Self.clockText(Double(total - summary.total) / rate)
        }
        if summary.skipped > 0 { text += "  \(summary.skipped) skipped" }
        if summary.failed > 0 { text += "  \(summary.failed) failed" }
        return text
    }

    private func drawBar() {
        guard case .terminal(let columns) = style else { return }
        let fraction = total > 0 ? Double(summary.total) / Double(total) : 1
        var line = Self.bar(fraction: fraction, width: 20) + " " + barText()
        if !current.isEmpty { line += "  " + current }
        write("\r\u{1B}[K" + Self.truncated(line, to: columns - 1))
        barShown = true
    }

    private func clearBar() {
        guard barShown else { return }
        write("\r\u{1B}[K")
        barShown = false
    }

    static func rate(worked: Int, seconds: Double) -> Double? {
        guard worked > 0, seconds > 0 else { return nil }
        return Double(worked) / seconds
    }

    /// "[#########...........]"
    static func bar(fraction: Double, width: Int) -> String {
        let filled = Int((min(max(fraction, 0), 1) * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    /// "0:07", "12:34", "3:02:01"
    static func clockText(_ seconds: Double) -> String {
        let whole = Int(max(seconds, 0).rounded(.up))
        let (hours, minutes, rest) = (whole / 3600, whole / 60 % 60, whole % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }

    /// "4.1 s" under a minute, else as `clockText`.
    static func durationText(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.1f s", seconds) : clockText(seconds)
    }

    static func truncated(_ line: String, to columns: Int) -> String {
        line.count <= columns ? line : String(line.prefix(max(columns, 0)))
    }
}
