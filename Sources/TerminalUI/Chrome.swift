// The interface around the image, as styled text: status line, message line, objects panel,
import Segmentation
// help overlay. Pure functions of the state, drawn by whichever screen adapter is in use.
import Foundation

public enum TextStyle: Equatable, Sendable {
    case normal
    case bold
    case dim
    case error
    case highlight
    /// A block in an object's colour.
    case swatch(RGBColor)
}

public struct StyledSpan: Equatable, Sendable {
    public var text: String
    public var style: TextStyle

    public init(_ text: String, _ style: TextStyle = .normal) {
        self.text = text
        self.style = style
    }
}

public typealias StyledLine = [StyledSpan]

extension Array where Element == StyledSpan {
    public var plainText: String { map(\.text).joined() }

    /// Cut to at most `width` characters (one cell each: the chrome uses no wide characters).
    func truncated(to width: Int) -> StyledLine {
        var remaining = width
        var line: StyledLine = []
        for span in self where remaining > 0 {
            let text = String(span.text.prefix(remaining))
            remaining -= text.count
            line.append(StyledSpan(text, span.style))
        }
        return line
    }
}

public enum Chrome {
    static let spinnerFrames = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

    /// The status line: image, model, renderer, object, candidate scores, latency; fitted to
    /// `width` by priority (StatusLine).
    public static func statusLine(_ state: EditorState, width: Int) -> StyledLine {
        StatusLine.line(state, width: width)
    }

    /// The line under the status line: a question being asked, the last message, or a hint;
    /// with background work (model loading, encoding, predicting) shown at its right.
    public static func messageLine(_ state: EditorState, width: Int) -> StyledLine {
        var left: StyledLine
        switch state.mode {
        case .naming(let text):
            left = [StyledSpan(" Name: ", .bold), StyledSpan(text + "_"), StyledSpan("   Enter to keep, Esc to cancel", .dim)]
        case .pickingClass(let picker):
            left = classPickerLine(state, picker)
        case .enteringArea(let holes, let text):
            left = [StyledSpan(holes ? " Fill holes smaller than: " : " Remove islands smaller than: ", .bold),
                    StyledSpan(text + "_"), StyledSpan(" pixels   Enter to keep, Esc to cancel", .dim)]
        case .confirmQuit:
            left = [StyledSpan(" " + quitQuestion(state, width: width - 1), .highlight)]
        case .exporting where state.message == nil:
            left = [StyledSpan(" Export: 1-\(ExportFormat.allCases.count) formats  Tab images  Enter export  Esc cancel", .dim)]
        case .confirmOverwrite(let files):
            let names = files.prefix(2).map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")
            let more = files.count > 2 ? " and \(files.count - 2) more" : ""
            left = [StyledSpan(" \(names)\(more) exist\(files.count == 1 ? "s" : ""): overwrite? (y/n)", .highlight)]
        case .confirmDeleteObject:
            left = [StyledSpan(" Delete \(state.currentObject?.displayName ?? "the object")? (y/n)", .highlight)]
        case .confirmFindObjects:
            left = [StyledSpan(" " + state.findObjectsQuestion, .highlight)]
        case .describeCommand(let text):
            left = [StyledSpan(" Command ({} is the cut-out): ", .bold), StyledSpan(text + "_"),
                    StyledSpan("   Enter runs, Esc cancels", .dim)]
        case .similarObjects where state.message == nil:
            left = [StyledSpan(" Similar objects: ↑↓ choose  Enter open  Esc close", .dim)]
        case .help, .normal, .exporting, .moreLikeThis, .similarObjects, .describeResult:
            if let message = state.message {
                let room = width - 1 - (activity(state).isEmpty ? 0 : activity(state).count + 2)
                left = [StyledSpan(" " + MessageFitting.fit(message.text, width: max(room, 10)), message.isError ? .error : .normal)]
            } else if let summary = state.document.automaticSummary {
                // The automatic masks' result stays, as state, until its outlines go.
                let room = width - 1 - (activity(state).isEmpty ? 0 : activity(state).count + 2)
                let text = summary.text(remaining: state.document.suggestions.count)
                left = [StyledSpan(" " + MessageFitting.fit(text, width: max(room, 10)), .highlight)]
            } else {
                let room = width - 1 - (activity(state).isEmpty ? 0 : activity(state).count + 2)
                let text = state.video != nil ? String(videoHint.prefix(max(room, 0)))
                    : hint(width: room, keymap: state.keymap, painting: state.paintMode)
                left = [StyledSpan(" " + text, .dim)]
            }
        }
        let right = activity(state)
        guard !right.isEmpty else { return left.truncated(to: width) }
        let rightText = right + " "
        let room = width - rightText.count
        if room < 10 {
            // Too narrow for both: a run's progress (and how to stop it) matters more than the text.
            if state.mode == .normal && state.document.findingObjects { return [StyledSpan(" " + right, .highlight)].truncated(to: width) }
            return left.truncated(to: width)
        }
        var line = left.truncated(to: room - 1)
        let used = line.plainText.count
        line.append(StyledSpan(String(repeating: " ", count: max(room - used, 1))))
        line.append(StyledSpan(rightText, .highlight))
        return line.truncated(to: width)
    }

    /// "Not exported: camera.jpg, dog.png — quit? (y/n)": the images whose changes no export
    /// has written yet (their sessions are saved), as many names as fit in `width`.
    /// The class picker on the message line: what was typed, then the matching classes with the
    /// highlighted one bracketed (a new name marked as such).
    static func classPickerLine(_ state: EditorState, _ picker: ClassPicker) -> StyledLine {
        var line: StyledLine = [StyledSpan(" Class: ", .bold), StyledSpan(picker.filter + "_  ")]
        let choices = state.classChoices(filter: picker.filter)
        if choices.isEmpty {
            line.append(StyledSpan(state.fixedClasses == nil ? "type a class" : "no class of the list matches", .dim))
        }
        for (index, choice) in choices.enumerated() {
            let text: String
            switch choice {
            case .known(let name): text = name
            case .new(let name): text = "new: " + name
            }
            line.append(index == picker.selection ? StyledSpan("[" + text + "]", .highlight) : StyledSpan(" " + text + " "))
        }
        line.append(StyledSpan("   ↑↓ Enter, Esc cancels", .dim))
        return line
    }

    static func quitQuestion(_ state: EditorState, width: Int) -> String {
        let names = state.images.filter(\.hasUnsavedChanges).map(\.name)
        let question = " — quit? (y/n)"
        for shown in stride(from: names.count, through: 1, by: -1) {
            let more = shown < names.count ? " and \(names.count - shown) more" : ""
            let text = "Not exported: " + names.prefix(shown).joined(separator: ", ") + more + question
            if text.count <= width { return text }
        }
        return "\(EditorState.counted(names.count, "image")) not exported" + question
    }

    /// The key hint's groups: the actions a newcomer needs, each named by its keys in force.
    static func hintGroups(_ keymap: ActiveKeymap, painting: Bool = false) -> [String] {
        func keys(_ actions: EditorAction...) -> String? {
            let names = actions.compactMap { keymap.keys(for: $0).first?.displayName }
            return names.isEmpty ? nil : names.joined(separator: "/")
        }
        // Paint mode: the point keys paint and erase.
        let groups: [(String?, String)] = painting ? [
            (keys(.showHelp), "help"), (keys(.placePoint(foreground: true), .placePoint(foreground: false)), "paint/erase"),
            (keys(.penDown(erases: false), .penDown(erases: true)), "pen down"), (keys(.brushSize(larger: false), .brushSize(larger: true)), "brush"),
            (keys(.fillHoles), "fill holes"), (keys(.removeIslands), "islands"), (keys(.refineFromMask), "refine"),
            (keys(.togglePaintMode), "leave"),
        ] : [
            (keys(.showHelp), "help"), (keys(.placePoint(foreground: true), .placePoint(foreground: false)), "point"),
            (keys(.toggleBox), "box"), (keys(.nextCandidate), "candidate"), (keys(.acceptObject), "new object"),
            (keys(.export), "export"), (keys(.quit), "quit"),
        ]
        return groups.compactMap { keys, what in keys.map { "\($0) \(what)" } }
    }

    /// The key hint, as many of its groups as fit whole, the first (help) always.
    static func hint(width: Int, keymap: ActiveKeymap = .standard, painting: Bool = false) -> String {
        let groups = hintGroups(keymap, painting: painting)
        guard var text = groups.first else { return "" }
        for group in groups.dropFirst() {
            guard text.count + 2 + group.count <= width else { break }
            text += "  " + group
        }
        return text
    }

    /// What the background is doing, with a spinner and the elapsed time.
    static let videoHint = "? help  Space/x point  b box  n new object  , . object  u undo  q quit"

    static func activity(_ state: EditorState) -> String {
        let spinner = spinnerFrames[Int(state.clock * 10) % spinnerFrames.count]
        if state.modelError != nil { return "no model" }
        if !state.modelReady { return "\(spinner) loading model" }
        // A video's frames are encoded by the tracker, when it needs them.
        if let video = state.video { return video.isBusy ? "\(spinner) tracking" : "" }
        switch state.document.encoding {
        case .encoding(let since):
            return "\(spinner) encoding " + String(format: "%.1f s", max(state.clock - since, 0))
        case .waiting:
            return "\(spinner) preparing image"
        default:
            break
        }
        if case .pending = state.currentObject?.prediction { return "\(spinner) predicting" }
        if state.document.findingObjects {
            if state.document.cancellingFind { return "\(spinner) cancelling the automatic masks" }
            return "\(spinner) " + (state.document.findingProgress?.text ?? "Finding objects") + " (Esc cancels)"
        }
        return ""
    }

    /// Text shown in the image area while there is no image to show.
    public static func placeholder(_ state: EditorState) -> String? {
        guard state.viewport == nil else { return nil }
        if case .failed(let text) = state.document.loading { return text }
        return "Loading \(state.document.name)…"
    }
}

/// The list of objects at the right of the screen.
public enum ObjectPanel {
    /// "More like this": the ranked masks with their similarity, the highlighted one marked.
    static func likeThisLines(_ state: EditorState, width: Int, height: Int) -> [StyledLine] {
        let document = state.document
        var lines: [StyledLine] = [[StyledSpan(" Like this", .bold)]]
        guard let likeThis = document.likeThis, likeThis.query != nil else {
            return lines + [[StyledSpan(" working…", .dim)]]
        }
        let shown = document.likeThisShown
        if shown.isEmpty { lines.append([StyledSpan(String(format: " none ≥ %.2f", likeThis.threshold), .dim)]) }
        for (rank, index) in shown.enumerated() {
            let current = rank == likeThis.selected
            let text = String(format: "%2d  %.3f", rank + 1, document.suggestions[index].similarity ?? 0)
            lines.append([StyledSpan(current ? ">" : " ", current ? .highlight : .normal),
                          StyledSpan(text, current ? .bold : .normal)].truncated(to: width))
        }
        let help = [" ", String(format: " ≥ %.2f  + -", likeThis.threshold), " Tab next", " Enter adopt",
                    " as " + (likeThis.className ?? "no class"), " Esc leave"]
        if lines.count + help.count <= height {
            lines += Array(repeating: [StyledSpan("")], count: height - lines.count - help.count)
            lines += help.map { [StyledSpan($0, .dim)].truncated(to: width) }
        }
        return Array(lines.prefix(height))
    }

    /// Panel rows above the first object (the title).
    public static let firstObjectRow = 1

    public static func lines(_ state: EditorState, width: Int, height: Int) -> [StyledLine] {
        let inner = width - 1
        if state.mode == .moreLikeThis { return likeThisLines(state, width: inner, height: height) }
        var lines: [StyledLine] = [[StyledSpan(" Objects", .bold)]]
        let objects = state.document.objects
        if objects.isEmpty {
            lines.append([StyledSpan(" (none yet)", .dim)])
        }
        for (index, object) in objects.enumerated() {
            let isCurrent = index == state.document.currentObject
            var status = ""
            switch object.prediction {
            case .pending: status = " …"
            case .failed: status = " !"
            case .idle: status = object.hasMask ? "" : " (empty)"
            case .current, .stale: break
            }
            let number = object.numberPending ? "new" : "\(object.id)"
            // "3 apple", or "3 left one: apple" when it has a name besides its class.
            var label = number
            if let name = object.name { label += " " + name }
            if let category = object.category { label += (object.name == nil ? " " : ": ") + category }
            var line: StyledLine = [StyledSpan(isCurrent ? ">" : " ", isCurrent ? .highlight : .normal),
                                    StyledSpan("█", .swatch(object.color)), StyledSpan(" ")]
            line.append(StyledSpan(label + status, isCurrent ? .bold : .normal))
            lines.append(line.truncated(to: inner))
        }
        let help = [" ", " , . select", " N rename", " L class", " Del delete", " n new object"]
        if lines.count + help.count <= height {
            lines += Array(repeating: [StyledSpan("")], count: height - lines.count - help.count)
            lines += help.map { [StyledSpan($0, .dim)] }
        }
        return Array(lines.prefix(height))
    }
}
