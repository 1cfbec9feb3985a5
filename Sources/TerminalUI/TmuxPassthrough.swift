// Inside tmux, pictures reach the outer terminal only through passthrough: what tmux allows,
// which terminal it runs in, and where samterm's pane sits in it.
import Foundation

public struct TmuxInfo: Equatable, Sendable {
    /// `allow-passthrough` is on (or `all`) for samterm's pane.
    public var allowsPassthrough: Bool
    /// The outer terminal as tmux's client knows it (`client_termname`, `client_termtype`).
    public var clientTerminal: String
    /// The pane's top-left cell in the outer terminal.
    public var paneColumn: Int
    public var paneRow: Int

    /// What samterm asks tmux: one format, so one process at startup.
    static let format = "#{allow-passthrough}|#{client_termname}|#{client_termtype}|#{pane_left}|#{pane_top}"

    /// The status line's hint when tmux keeps pictures from the terminal.
    public static let passthroughHint = "pixels: tmux set -g allow-passthrough on"

    /// The answer to `format` (`1|xterm-kitty|kitty(0.26.5)|0|0`), or nil when it is not one.
    static func parse(_ answer: String) -> TmuxInfo? {
        let fields = answer.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count == 5, let column = Int(fields[3]), let row = Int(fields[4]) else { return nil }
        let terminal = [fields[1], fields[2]].filter { !$0.isEmpty }.joined(separator: " ")
        return TmuxInfo(allowsPassthrough: ["1", "on", "all"].contains(fields[0]), clientTerminal: terminal,
                        paneColumn: column, paneRow: row)
    }

    /// The outer terminal speaks kitty graphics: tmux does not pass the answer to a query on, so
    /// this goes by its name (kitty's TERM is xterm-kitty; its XTVERSION, kitty(...)).
    public var outerSpeaksKitty: Bool { clientTerminal.lowercased().contains("kitty") }

    /// Asks the tmux samterm runs in (`$TMUX` set); nil outside tmux or when tmux does not answer.
    public static func detect(environment: [String: String]) -> TmuxInfo? {
        guard let socket = environment["TMUX"], !socket.isEmpty else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["tmux", "display-message", "-p"]
        if let pane = environment["TMUX_PANE"], !pane.isEmpty { arguments += ["-t", pane] }
        process.arguments = arguments + [format]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return parse(String(decoding: data, as: UTF8.self))
    }

    /// The renderer for tmux: kitty graphics through passthrough when tmux allows it and the
    /// outer terminal speaks them; else `fallback` (sixel only if tmux itself said sixel) and,
    /// when the outer terminal could show pixels, the hint.
    func renderer(fallback: RendererKind) -> (renderer: RendererKind, hint: String?) {
        if outerSpeaksKitty {
            return allowsPassthrough ? (.kitty, nil) : (fallback, Self.passthroughHint)
        }
        return (fallback, nil)
    }

    /// Placeholders where the outer kitty has them (and relative placements), so the pictures
    /// stay with the pane; else direct placements at the pane's offset.
    var transport: KittyTransport {
        KittyPlaceholders.supported(byTerminal: clientTerminal) ? .tmuxPlaceholders : .tmux(paneColumn: paneColumn, paneRow: paneRow)
    }
}
