// `samterm inspect --terminal`: the editor's questions to the terminal, its answers, and the
// renderer that follows, for debugging a session over SSH or inside tmux.
import CNCursesW
import Foundation

public enum TerminalProbe {
    /// Asks the controlling terminal (in raw mode, restored after) and describes what it said.
    public static func report(environment: [String: String]) throws -> String {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw EditorError("inspect --terminal needs a terminal: standard input and output must be a tty")
        }
        var saved = termios()
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else { throw EditorError("cannot read the terminal's settings") }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        _ = tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        let replies = CursesScreen.queryTerminal()
        _ = tcsetattr(STDIN_FILENO, TCSANOW, &saved)

        var status: Int32 = 0
        let hasTerminfo = setupterm(nil, STDOUT_FILENO, &status) == OK
        var window = winsize()
        let kernel = ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &window) == 0 && window.ws_xpixel > 0 && window.ws_ypixel > 0 && window.ws_col > 0
            && window.ws_row > 0
            ? (width: Int(window.ws_xpixel) / Int(window.ws_col), height: Int(window.ws_ypixel) / Int(window.ws_row)) : nil
        return describe(replies: replies, environment: environment, terminfoColors: hasTerminfo ? Int(tigetnum("colors")) : -1,
                        terminfoHasRGB: hasTerminfo && tigetflag("RGB") > 0, kernelCellSize: kernel,
                        tmux: TmuxInfo.detect(environment: environment))
    }

    /// One line per finding; `kernelCellSize` is TIOCGWINSZ's, which the editor prefers; `tmux`
    /// what tmux said when samterm runs in it.
    static func describe(replies: [UInt8], environment: [String: String], terminfoColors: Int, terminfoHasRGB: Bool,
                         kernelCellSize: (width: Int, height: Int)?, tmux: TmuxInfo? = nil) -> String {
        var capabilities = TerminalCapabilities(replies: replies, environment: environment, terminfoColors: terminfoColors,
                                                terminfoHasRGB: terminfoHasRGB)
        let queried = TerminalCapabilities.cellSize(in: replies)
        let cell = kernelCellSize ?? queried
        capabilities.cellPixelWidth = cell?.width
        capabilities.cellPixelHeight = cell?.height
        func variable(_ name: String) -> String { environment[name].map { $0.isEmpty ? "(empty)" : $0 } ?? "(unset)" }

        var lines = ["TERM              \(variable("TERM"))", "TMUX              \(variable("TMUX"))",
                     "COLORTERM         \(variable("COLORTERM"))",
                     "terminfo colours  \(terminfoColors < 0 ? "(no terminfo entry)" : "\(terminfoColors)\(terminfoHasRGB ? ", RGB" : "")")",
                     "replies           \(replies.isEmpty ? "(none within a second)" : printable(replies))"]
        let attributes = TerminalCapabilities.primaryDeviceAttributes(in: replies)
        lines.append("DA1               " + (attributes.map { list in
            list.map(String.init).joined(separator: ";") + (capabilities.supportsSixel ? " (4: sixel)" : " (no 4: no sixel)")
        } ?? "no answer"))
        lines.append("kitty graphics    " + (KittyGraphics.queryReply(in: replies).map {
            printable(Array($0.utf8)) + (capabilities.supportsKitty ? " (spoken)" : " (an error: not spoken)")
        } ?? "no answer (not spoken)"))
        if let tmux {
            lines.append("tmux              passthrough \(tmux.allowsPassthrough ? "allowed" : "off"), client terminal "
                + (tmux.clientTerminal.isEmpty ? "(unknown)" : tmux.clientTerminal)
                + (tmux.outerSpeaksKitty ? " (speaks kitty graphics)" : "") + ", pane at \(tmux.paneColumn),\(tmux.paneRow)")
        }
        let geometry = TerminalCapabilities.sixelGeometry(in: replies)
        lines.append("sixel limit       " + (geometry.map { "\($0.width)x\($0.height) (XTSMGRAPHICS)" }
            ?? (capabilities.sixelLimit.map { "no XTSMGRAPHICS answer: \($0.width)x\($0.height) assumed" } ?? "no answer, no sixel")))
        lines.append("colour registers  " + (capabilities.sixelColorRegisters.map(String.init) ?? "no answer"))
        lines.append("cell size         " + (cell.map { "\($0.width)x\($0.height) pixels (\(kernelCellSize != nil ? "TIOCGWINSZ" : "ESC [ 16 t"))" }
            ?? "unknown (neither TIOCGWINSZ nor ESC [ 16 t)"))
        lines.append("colours           \(capabilities.colorDepth.rawValue)")
        var renderer = capabilities.bestRenderer
        var why: String
        let knowsCells = cell != nil
        switch renderer {
        case .kitty: why = "the terminal speaks kitty graphics and its cell size is known"
        case .sixel: why = "the terminal has sixel and its cell size is known"
                + (capabilities.supportsKitty ? " (kitty graphics need the cell size too)" : "; no kitty graphics")
        case _ where (capabilities.supportsKitty || capabilities.supportsSixel) && !knowsCells:
            why = "\(capabilities.supportsKitty ? "kitty graphics need" : "sixel needs") the cell size in pixels; the deepest colour instead"
        default: why = "neither kitty graphics nor sixel; the deepest colour (COLORTERM, then terminfo)"
        }
        if let tmux {
            let (chosen, hint) = tmux.renderer(fallback: renderer)
            if chosen == .kitty {
                why = "tmux passes kitty graphics through to \(tmux.clientTerminal)"
                    + (tmux.transport == .tmuxPlaceholders ? " (Unicode placeholders: the pictures stay with the pane)"
                                                           : " (placed at the pane's offset: kitty 0.31 keeps them with the pane)")
            } else if let hint {
                why += "; tmux keeps pictures from \(tmux.clientTerminal) (\(hint))"
            }
            renderer = chosen
        }
        lines.append("renderer          \(renderer.rawValue): \(why)")
        return lines.joined(separator: "\n")
    }

    /// Escapes as `ESC` and other control bytes as `\xNN`, so a reply can be read and copied.
    static func printable(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            switch byte {
            case 0x1b: return "ESC"
            case 0x20..<0x7f: return String(UnicodeScalar(byte))
            default: return String(format: "\\x%02x", byte)
            }
        }.joined()
    }
}
