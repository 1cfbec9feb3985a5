// The status line, fitted to its width by priority: each part has shorter forms, and the parts
// a user needs least give way first (renderer, model, sizes, latency), so the candidates' scores
// and the current object stay whole on a narrow screen.
import Foundation

enum StatusLine {
    /// The pieces of the line, in the order they show.
    enum Slot: CaseIterable {
        case image, readOnly, model, renderer, hint, object, scores, waiting, flags, latency
    }

    /// Which part takes its next shorter form, in turn, while the line is too wide. A slot with
    /// fewer forms keeps its last; a form that is empty drops the part.
    static let shrinkOrder: [(Slot, Int)] = [
        (.renderer, 1), (.model, 1), (.hint, 1), (.image, 1), (.latency, 1), (.flags, 1), (.object, 1),
        (.waiting, 1), (.readOnly, 1), (.image, 2), (.hint, 2), (.flags, 2), (.object, 2), (.image, 3), (.object, 3),
    ]

    static func line(_ state: EditorState, width: Int) -> StyledLine {
        let forms = self.forms(state)
        var chosen: [Slot: Int] = [:]
        var line = join(forms, chosen: chosen)
        for (slot, form) in shrinkOrder where line.plainText.count > width {
            chosen[slot] = form
            line = join(forms, chosen: chosen)
        }
        return line.cutAtWord(to: width)
    }

    private static func join(_ forms: [Slot: [StyledLine]], chosen: [Slot: Int]) -> StyledLine {
        var line: StyledLine = [StyledSpan(" ")]
        var first = true
        for slot in Slot.allCases {
            guard let options = forms[slot], !options.isEmpty else { continue }
            let part = options[min(chosen[slot] ?? 0, options.count - 1)]
            guard !part.plainText.isEmpty else { continue }
            if !first { line.append(StyledSpan(" | ", .dim)) }
            line += part
            first = false
        }
        return line
    }

    /// Every part's forms, fullest first.
    static func forms(_ state: EditorState) -> [Slot: [StyledLine]] {
        let document = state.document
        var forms: [Slot: [StyledLine]] = [:]
        let name = document.name
        let size = document.width.flatMap { w in document.height.map { " \(w)x\($0)" } } ?? ""
        let position = state.images.count > 1 ? " (\(state.currentImage + 1)/\(state.images.count))" : ""
        forms[.image] = [[StyledSpan(name + size + position, .bold)], [StyledSpan(name + position, .bold)],
                         [StyledSpan(name, .bold)], [StyledSpan(Self.shortened(name, to: 16), .bold)]]
        if case .readOnly = document.autosave { forms[.readOnly] = [[StyledSpan("read-only", .error)], [StyledSpan("ro", .error)]] }
        forms[.model] = [[StyledSpan("\(state.setup.modelName) \(state.setup.device)")], []]
        forms[.renderer] = [[StyledSpan(state.setup.renderer)], []]
        if let hint = state.setup.pixelsHint {
            forms[.hint] = [[StyledSpan(hint, .highlight)], [StyledSpan("no pixels: see ?", .highlight)], []]
        }
        forms[.object] = objectForms(state).map { $0.isEmpty ? [] : [StyledSpan($0)] }
        if let object = state.currentObject, !object.candidates.isEmpty {
            var scores: StyledLine = []
            for (index, candidate) in object.candidates.enumerated() {
                if index > 0 { scores.append(StyledSpan(" ")) }
                let score = String(format: "%.2f", candidate.score)
                scores.append(index == object.chosen ? StyledSpan("[\(index + 1):\(score)]", .highlight)
                                                     : StyledSpan("\(index + 1):\(score)"))
            }
            forms[.scores] = [scores]
        }
        // Typed ahead of a prediction: applied, in order, when it arrives.
        let waiting = state.waitingInputCount
        if waiting > 0 {
            forms[.waiting] = [[StyledSpan("\(waiting) key\(waiting == 1 ? "" : "s") waiting", .highlight)],
                               [StyledSpan("\(waiting) waiting", .highlight)]]
        }
        let flags = flagForms(state)
        if !flags.isEmpty {
            forms[.flags] = (0..<3).map { level in
                let text = flags.compactMap { $0[min(level, $0.count - 1)] }.joined(separator: " ")
                return text.isEmpty ? [] : [StyledSpan(text)]
            }
        }
        if let latency = state.lastLatencyMilliseconds {
            forms[.latency] = [[StyledSpan(String(format: "%.0f ms", latency))], []]
        }
        return forms
    }

    /// The current object: with the objects panel hidden its name shows here, as the panel would.
    static func objectForms(_ state: EditorState) -> [String] {
        let count = state.document.objects.count
        guard count > 0 else { return ["no objects"] }
        guard let object = state.currentObject else {
            return ["\(count) object\(count == 1 ? "" : "s"), next click starts another", "next click: new object", "new object"]
        }
        // The id, as the panel, the messages and the exports name it; then where it stands.
        let number = state.document.currentObject + 1
        let id = object.numberPending ? "new" : "#\(object.id)"
        guard state.layout.objectPanel == nil else {
            return ["\(object.numberLabel) (\(number) of \(count))", "\(id) (\(number)/\(count))"]
        }
        let name = object.name.map { ": \($0)" } ?? ""
        let label = object.name ?? id
        return ["\(object.numberLabel) (\(number) of \(count))\(name)", "\(id) (\(number)/\(count))\(name)",
                "\(id) \(shortened(label, to: 12))", shortened(label, to: 12)]
    }

    /// Each flag's forms, fullest first; nil drops it at that level.
    static func flagForms(_ state: EditorState) -> [[String?]] {
        var flags: [[String?]] = []
        if state.paintMode {
            let radius = String(format: "%.0f", state.currentBrushRadius)
            let pen = state.pen.map { $0.erases ? " pen: erasing" : " pen: painting" } ?? ""
            flags.append(["paint r=\(radius) px\(pen)", "paint r=\(radius)\(pen)", "paint" + (state.pen == nil ? "" : " pen")])
        }
        if state.document.noOverlaps { flags.append(["no overlaps", "no overlaps", nil]) }
        if let view = state.viewport, view.zoom > 1.001 {
            let zoom = String(format: "zoom %.1fx", view.zoom)
            let shown = view.visibleFraction
            let percent = { (range: ClosedRange<Double>) in "\(Int((range.lowerBound * 100).rounded()))–\(Int((range.upperBound * 100).rounded()))%" }
            flags.append(["\(zoom) view \(percent(shown.x)) x, \(percent(shown.y)) y",
                          "\(zoom) \(percent(shown.x)),\(percent(shown.y))", String(format: "%.1fx", view.zoom)])
        }
        if state.multimaskAlways { flags.append(["multimask", "multi", nil]) }
        if state.showOnlySelected { flags.append(["only selected", "only", "only"]) }
        if !state.document.suggestions.isEmpty { flags.append(["\(state.document.suggestions.count) found"]) }
        if !state.overlayVisible { flags.append(["overlay off"]) } else if state.outlineMode { flags.append(["outline", "outline", nil]) }
        if let limit = state.layout.pictureLimited {
            flags.append(["picture limited to \(limit.width)x\(limit.height) by the terminal", "picture ≤\(limit.width)x\(limit.height)", nil])
        }
        return flags
    }

    /// A name cut in its middle, keeping its end (a file's extension, a number).
    static func shortened(_ text: String, to width: Int) -> String {
        guard text.count > width, width > 3 else { return text }
        let tail = (width - 1) / 2, head = width - 1 - tail
        return String(text.prefix(head)) + "…" + String(text.suffix(tail))
    }
}

extension Array where Element == StyledSpan {
    /// Cut to at most `width` cells, at a space where there is one, ending with "…" when
    /// something was cut.
    func cutAtWord(to width: Int) -> StyledLine {
        let text = plainText
        guard text.count > width else { return self }
        guard width > 1 else { return truncated(to: width) }
        let prefix = text.prefix(width - 1)
        var keep = prefix.count
        if let space = prefix.lastIndex(of: " "), prefix.distance(from: prefix.startIndex, to: space) > width / 2 {
            keep = prefix.distance(from: prefix.startIndex, to: space)
        }
        var line = truncated(to: keep)
        line.append(StyledSpan("…", .dim))
        return line
    }
}
