// The update's dialogs: the help, naming an object, and the questions before quitting, deleting
// and overwriting. While one is up, keys answer it instead of going to the keymap.
import Segmentation

extension EditorState {
    mutating func answerDialog(_ key: Key) -> [EditorEffect] {
        switch mode {
        case .normal:
            return []  // no dialog: keys go to the keymap
        case .help:
            return answerHelp(key)
        case .naming(let text):
            return editName(text, key: key)
        case .pickingClass(let picker):
            return answerClassPicker(picker, key: key)
        case .enteringArea(let holes, let text):
            return editCleanupArea(text, holes: holes, key: key)
        case .confirmQuit:
            if Self.isYes(key) || key == .control("c") { return [.quit] }
            mode = .normal
            return say("Quit cancelled")
        case .confirmDeleteObject:
            mode = .normal
            return Self.isYes(key) ? deleteCurrentObject() : say("Delete cancelled")
        case .confirmOverwrite:
            mode = .normal
            return Self.isYes(key) ? export(images: [currentImage], overwrite: true) : say("Export cancelled: nothing was overwritten")
        case .confirmFindObjects:
            mode = .normal
            return Self.isYes(key) ? startFindingObjects() : say("Not finding objects")
        case .exporting(let dialog):
            return answerExportDialog(dialog, key: key)
        case .moreLikeThis:
            return answerLikeThis(key)
        case .similarObjects(let list):
            return answerSimilarObjects(list, key: key)
        case .describeCommand(let text):
            return answerDescribeCommand(text, key: key)
        case .describeResult(let shown):
            return answerDescribeResult(shown, key: key)
        }
    }

    static func isYes(_ key: Key) -> Bool {
        key == .character("y") || key == .character("Y")
    }

    /// A key while typing a name: Enter keeps it, Escape or Ctrl-C leaves the name as it was.
    private mutating func editName(_ text: String, key: Key) -> [EditorEffect] {
        switch key {
        case .enter:
            mode = .normal
            return nameCurrentObject(text)
        case .escape, .control("c"):
            mode = .normal
            return say("Naming cancelled")
        case .backspace:
            mode = .naming(String(text.dropLast()))
        case .character(let character) where !character.isNewline && text.count < 60:
            mode = .naming(text + String(character))
        default:
            break
        }
        return []
    }

    /// `q` or Ctrl-C: at once when everything is exported, else after asking.
    mutating func askToQuit() -> [EditorEffect] {
        guard hasUnsavedChanges else { return [.quit] }
        mode = .confirmQuit
        return []
    }

    mutating func showHelp() -> [EditorEffect] {
        mode = .help
        helpScroll = 0
        return []
    }

    /// In the help, the scrolling keys scroll it (when it is longer than the screen); any other
    /// key closes it.
    mutating func answerHelp(_ key: Key) -> [EditorEffect] {
        let page = HelpOverlay.page(in: layout.imageArea, scroll: helpScroll, body: keymap.helpLines)
        let pageRows = max(page.lines.count - 3, 1)
        let target: Int
        switch key {
        case .down, .character("j"): target = helpScroll + 1
        case .up, .character("k"): target = helpScroll - 1
        case .pageDown, .character(" "): target = helpScroll + pageRows
        case .pageUp: target = helpScroll - pageRows
        case .home, .character("g"): target = 0
        case .end, .character("G"): target = page.maximumScroll
        default:
            mode = .normal
            return []
        }
        guard page.maximumScroll > 0 else {
            mode = .normal
            return []
        }
        helpScroll = min(max(target, 0), page.maximumScroll)
        return []
    }
}
