// The curses adapter: terminal setup and teardown, capability queries, drawing the interface's
// text, reading keys and mouse reports. The image itself is written around curses (see
// the main loop's `TerminalOutput`, inside DECSC ... DECRC), since curses knows neither sixel nor
// direct colour.
import CNCursesW
import Foundation
import Segmentation

final class CursesScreen {
    private(set) var capabilities = TerminalCapabilities()
    private(set) var size = TerminalSize(columns: 80, rows: 24)
    private var screen: OpaquePointer?
    private var window: UnsafeMutablePointer<WINDOW>?
    private var colorPairs: [RGBColor: Int16] = [:]
    private var nextPair: Int16 = Pair.firstSwatch
    private var usesColor = false
    /// Swatch cells curses cannot colour well enough, written over after each refresh, and what
    /// was written last (sent again only when the panel changed or the screen was repainted).
    private var swatchOverdraw: [(row: Int, column: Int, glyph: String, ink: SwatchInk)] = []
    private var lastSwatchBytes: [UInt8] = []
    private var lastPanelLines: [StyledLine] = []
    private var panelChanged = true
    private var buttonMotionOn = false
    /// Cell pixel size learned from `ESC [ 16 t` when TIOCGWINSZ does not report one.
    private var queriedCellSize: (width: Int, height: Int)?

    private enum Pair {
        static let error: Int16 = 1
        static let highlight: Int16 = 2
        static let firstSwatch: Int16 = 8
    }

    /// Starts curses on the controlling terminal and asks it what it can do.
    init(environment: [String: String]) throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw EditorError("samterm edit needs a terminal: standard input and output must be a tty")
        }
        setlocale(LC_ALL, "")
        guard let screen = newterm(nil, cncurses_stdout(), cncurses_stdin()) else {
            throw EditorError("cannot start curses for TERM=\(environment["TERM"] ?? "(unset)"): unknown terminal type")
        }
        self.screen = screen
        window = cncurses_stdscr()
        raw()
        noecho()
        nonl()
        keypad(window, true)
        nodelay(window, true)
        set_escdelay(25)
        curs_set(0)
        leaveok(window, true)
        // No insert/delete-line or -character tricks: they would shift the image curses does not know about.
        idlok(window, false)
        idcok(window, false)
        scrollok(window, false)
        mousemask(cncurses_all_mouse_events | cncurses_report_mouse_position, nil)
        mouseinterval(0)

        let noColor = TerminalCapabilities.noColor(environment)
        if has_colors() && !noColor {
            start_color()
            use_default_colors()
            init_pair(Pair.error, Int16(COLOR_RED), -1)
            init_pair(Pair.highlight, Int16(COLOR_YELLOW), -1)
            usesColor = true
        }
        let reply = Self.queryTerminal()
        queriedCellSize = TerminalCapabilities.cellSize(in: reply)
        capabilities = TerminalCapabilities(replies: reply, environment: environment, terminfoColors: Int(tigetnum("colors")),
                                            terminfoHasRGB: tigetflag("RGB") > 0)
        refreshSize()
    }

    static let buttonMotionOn = "\u{1b}[?1002h"
    static let buttonMotionOff = "\u{1b}[?1002l"

    /// Gives the terminal back. Safe to call twice.
    func stop() {
        guard screen != nil else { return }
        if buttonMotionOn { Self.writeAll(Array(Self.buttonMotionOff.utf8)) }
        mousemask(0, nil)
        curs_set(1)
        endwin()
        delscreen(screen)
        screen = nil
        fflush(cncurses_stdout())
    }

    /// Sends DA1 after the other queries; every terminal answers DA1, so once its answer is
    /// in, any answers to the others have come too. Waits at most a second (slow SSH links).
    static func queryTerminal() -> [UInt8] {
        writeAll(Array(TerminalCapabilities.queries.utf8))
        var reply: [UInt8] = []
        let deadline = ProcessInfo.processInfo.systemUptime + 1
        var buffer = [UInt8](repeating: 0, count: 256)
        while TerminalCapabilities.primaryDeviceAttributes(in: reply) == nil {
            let remaining = Int32((deadline - ProcessInfo.processInfo.systemUptime) * 1000)
            guard remaining > 0 else { break }
            var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, remaining) > 0 else { continue }
            let count = read(STDIN_FILENO, &buffer, buffer.count)
            if count <= 0 { break }
            reply += buffer[0..<count]
        }
        return reply
    }

    /// Reads the size in cells from curses and in pixels from the kernel (or the query).
    func refreshSize() {
        var winsize = winsize()
        let hasPixels = ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &winsize) == 0 && winsize.ws_xpixel > 0 && winsize.ws_ypixel > 0
        let columns = Int(cncurses_max_x(window)), rows = Int(cncurses_max_y(window))
        if hasPixels, columns > 0, rows > 0 {
            size = TerminalSize(columns: columns, rows: rows, cellPixelWidth: Int(winsize.ws_xpixel) / columns,
                                cellPixelHeight: Int(winsize.ws_ypixel) / rows)
        } else {
            size = TerminalSize(columns: columns, rows: rows, cellPixelWidth: queriedCellSize?.width,
                                cellPixelHeight: queriedCellSize?.height)
        }
        capabilities.cellPixelWidth = size.cellPixelWidth
        capabilities.cellPixelHeight = size.cellPixelHeight
    }

    /// After a resize: curses has new dimensions; the next refresh repaints everything.
    func handleResize() {
        refreshSize()
        clearok(cncurses_curscr(), true)
        wclear(window)
        panelChanged = true
    }

    /// The next refresh clears the terminal and sends every cell.
    func forceFullRepaint() {
        clearok(cncurses_curscr(), true)
        panelChanged = true
    }

    /// Everything waiting to be read, decoded; never blocks.
    func readInput() -> [TerminalInput] {
        var inputs: [TerminalInput] = []
        while true {
            var character: wint_t = 0
            let status = wget_wch(window, &character)
            if status == ERR { break }
            let raw: CursesInput
            if status == KEY_CODE_YES {
                if Int32(character) == KEY_MOUSE {
                    var event = MEVENT()
                    guard getmouse(&event) == OK else { continue }
                    raw = .mouse(column: event.x, row: event.y, buttons: UInt32(event.bstate))
                } else {
                    let name = keyname(Int32(character)).map { String(cString: $0) }
                    raw = .keyCode(Int32(character), name: name)
                }
            } else {
                raw = .character(UInt32(character))
            }
            if let input = InputDecoder.decode(raw) { inputs.append(input) }
        }
        return inputs
    }

    // MARK: - Drawing

    /// Draws the interface's text for `state` and sends it; the image area is left blank here.
    func drawChrome(_ state: EditorState) {
        werase(window)
        let layout = state.layout
        if layout.isTooSmall {
            let message = layout.tooSmallMessage
            let row = max(size.rows / 2, 0)
            let lines = wrap(message, width: max(size.columns, 1))
            for (offset, line) in lines.enumerated() {
                put([StyledSpan(line, .bold)], row: row + offset - lines.count / 2, column: max((size.columns - line.count) / 2, 0))
            }
            wnoutrefresh(window)
            doupdate()
            return
        }
        put(Chrome.statusLine(state, width: size.columns), row: layout.statusRow, column: 0, base: cncurses_a_reverse,
            fillTo: size.columns)
        put(Chrome.messageLine(state, width: size.columns), row: layout.messageRow, column: 0)
        if let panel = layout.objectPanel {
            for row in panel.row..<(panel.row + panel.height) {
                put([StyledSpan("│", .dim)], row: row, column: panel.column)
            }
            let lines = ObjectPanel.lines(state, width: panel.width, height: panel.height)
            if lines != lastPanelLines { panelChanged = true }
            lastPanelLines = lines
            for (offset, line) in lines.enumerated() {
                put(line, row: panel.row + offset, column: panel.column + 1)
            }
        }
        let bottom = layout.bottomArea
        for (offset, line) in TimelineView.lines(state, width: bottom.width, height: bottom.height).enumerated() {
            put(line, row: bottom.row + offset, column: bottom.column)
        }
        if let text = Chrome.placeholder(state) {
            let area = layout.imageArea
            let lines = wrap(text, width: max(area.width - 4, 10))
            for (offset, line) in lines.enumerated() {
                put([StyledSpan(line, .dim)], row: area.row + area.height / 2 + offset - lines.count / 2,
                    column: area.column + max((area.width - line.count) / 2, 0))
            }
        }
        if state.mode == .help {
            let (box, lines) = HelpOverlay.layout(in: layout.imageArea, scroll: state.helpScroll, keys: state.keymap.helpLines)
            drawBox(box, lines: lines)
        }
        if case .exporting(let dialog) = state.mode {
            let (box, lines) = ExportDialogView.layout(state, dialog, in: layout.imageArea)
            drawBox(box, lines: lines)
        }
        if case .describeResult(let shown) = state.mode {
            let (box, lines) = OverlayBox.layout(EditorState.describeResultLines(shown), in: layout.imageArea)
            drawBox(box, lines: lines)
        }
        if case .similarObjects(let list) = state.mode {
            let (box, lines) = OverlayBox.layout(EditorState.similarObjectsLines(list), in: layout.imageArea)
            drawBox(box, lines: lines)
        }
        wnoutrefresh(window)
        doupdate()
        writeSwatchOverdraw()
        if !buttonMotionOn {
            // Button-motion tracking, after curses sent its own mouse mode (on its first refresh):
            // a drag reports where the pointer goes (a box's rubber band, a middle-button pan).
            Self.writeAll(Array(Self.buttonMotionOn.utf8))
            buttonMotionOn = true
        }
    }

    /// Writes the swatches curses drew only approximately in their best inks; curses repaints
    /// a cell only when its own idea of it changed, which a changed panel line or a full
    /// repaint (lastSwatchBytes emptied) tells.
    private func writeSwatchOverdraw() {
        let bytes = SwatchInk.overdraw(swatchOverdraw)
        swatchOverdraw = []
        guard !bytes.isEmpty, bytes != lastSwatchBytes || panelChanged else {
            lastSwatchBytes = bytes
            return
        }
        Self.writeAll(bytes)
        lastSwatchBytes = bytes
        panelChanged = false
    }

    /// A framed box with `lines` in it, the first in bold (the help, the export dialog).
    private func drawBox(_ box: CellRect, lines: [String]) {
        guard box.width >= 4, box.height >= 3 else { return }
        let horizontal = String(repeating: "─", count: box.width - 2)
        put([StyledSpan("┌" + horizontal + "┐")], row: box.row, column: box.column)
        for row in (box.row + 1)..<(box.row + box.height - 1) {
            put([StyledSpan("│" + String(repeating: " ", count: box.width - 2) + "│")], row: row, column: box.column)
        }
        put([StyledSpan("└" + horizontal + "┘")], row: box.row + box.height - 1, column: box.column)
        for (offset, line) in lines.enumerated() {
            put([StyledSpan(line, offset == 0 ? .bold : .normal)], row: box.row + 1 + offset, column: box.column + 2)
        }
    }

    private func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
            while current.count > width {
                lines.append(String(current.prefix(width)))
                current = String(current.dropFirst(width))
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    private func put(_ line: StyledLine, row: Int, column: Int, base: attr_t = cncurses_a_normal, fillTo: Int? = nil) {
        guard row >= 0, row < size.rows else { return }
        var x = column
        for span in line where x < size.columns {
            let (attributes, pair) = style(span.style)
            if case .swatch(let color) = span.style, usesColor {
                let best = SwatchInk.best(for: color, depth: capabilities.colorDepth, cursesColors: Int(cncurses_colors()))
                if best != SwatchInk.curses(for: color, depth: capabilities.colorDepth, cursesColors: Int(cncurses_colors())) {
                    swatchOverdraw.append((row, x, span.text, best))
                }
            }
            let text = Array(span.text.unicodeScalars.prefix(size.columns - x).map { wchar_t(bitPattern: $0.value) })
            // The bottom-right cell makes curses report an error after writing it; that is fine.
            _ = text.withUnsafeBufferPointer {
                cncurses_put_string(window, Int32(row), Int32(x), $0.baseAddress, Int32($0.count), attributes | base, pair)
            }
            x += text.count
        }
        if let fillTo, x < fillTo {
            let blank = Array(String(repeating: " ", count: fillTo - x).unicodeScalars.map { wchar_t(bitPattern: $0.value) })
            _ = blank.withUnsafeBufferPointer {
                cncurses_put_string(window, Int32(row), Int32(x), $0.baseAddress, Int32($0.count), base, 0)
            }
        }
    }

    private func style(_ style: TextStyle) -> (attr_t, Int16) {
        switch style {
        case .normal: return (cncurses_a_normal, 0)
        case .bold: return (cncurses_a_bold, 0)
        case .dim: return (cncurses_a_dim, 0)
        case .error: return usesColor ? (cncurses_a_bold, Pair.error) : (cncurses_a_bold | cncurses_a_underline, 0)
        case .highlight: return usesColor ? (cncurses_a_bold, Pair.highlight) : (cncurses_a_bold, 0)
        case .swatch(let color): return (cncurses_a_normal, swatchPair(color))
        }
    }

    /// A colour pair showing `color` as foreground, allocated on first use (0 without colour).
    private func swatchPair(_ color: RGBColor) -> Int16 {
        guard usesColor else { return 0 }
        if let pair = colorPairs[color] { return pair }
        guard Int32(nextPair) < cncurses_color_pairs() else { return 0 }
        let foreground: Int16
        switch SwatchInk.curses(for: color, depth: capabilities.colorDepth, cursesColors: Int(cncurses_colors())) {
        case .palette(let index): foreground = Int16(index)
        case .basic(let index): foreground = Int16(index)
        case .direct: foreground = Int16(SwatchInk.nearestBasic(color))
        }
        init_pair(nextPair, foreground, -1)
        colorPairs[color] = nextPair
        nextPair += 1
        return nextPair - 1
    }

    static func writeAll(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            offset += written
        }
    }
}
