// The update's export dialog (`e`): which formats, this image or every image with objects,
// where the files go; Enter (or `e` again) exports, Esc cancels. Its choices stay for the next
// export of the run. Drawn by ExportDialogView (Chrome).
import Foundation
import Segmentation

/// What the export dialog shows and the user chose.
public struct ExportDialog: Equatable, Sendable {
    public enum Scope: Equatable, Sendable {
        /// The image on screen.
        case thisImage
        /// Every image opened in this run that has objects (images not opened in this run are
        /// not read from their sessions: `samterm export` exports those).
        case allImages
    }

    /// The formats chosen, in ExportFormat.allCases order.
    public var formats: [ExportFormat]
    public var scope: Scope
    /// A folder typed in the dialog (`d`); nil: `--out`, else samterm-export/ beside each image.
    public var destination: String?
    /// The folder being typed, while it is.
    public var typing: String?

    public init(formats: [ExportFormat], scope: Scope = .thisImage, destination: String? = nil) {
        self.formats = ExportFormat.allCases.filter(formats.contains)
        self.scope = scope
        self.destination = destination
    }

    /// Turns format number `number` (1-based, as the dialog lists them) on or off.
    mutating func toggle(formatNumber number: Int) {
        guard ExportFormat.allCases.indices.contains(number - 1) else { return }
        let format = ExportFormat.allCases[number - 1]
        let chosen = formats.contains(format) ? formats.filter { $0 != format } : formats + [format]
        formats = ExportFormat.allCases.filter(chosen.contains)
    }
}

/// An export of several images under way: one summary when the last image is written.
struct ExportBatch: Equatable, Sendable {
    var waiting: Set<Int>
    var images = 0
    var files = 0
    var removed = 0
    /// "camera.jpg (disk full)": the images not exported, and why.
    var failures: [String] = []

    mutating func written(files: Int, removed: Int) {
        images += 1
        self.files += files
        self.removed += removed
    }

    func summary(destination: String) -> String {
        "Exported \(EditorState.counted(files, "file")) of \(EditorState.counted(images, "image")) to \(destination)"
            + Self.removedText(removed) + (failures.isEmpty ? "" : "; not exported: " + failures.joined(separator: ", "))
    }

    static func removedText(_ removed: Int) -> String {
        removed == 0 ? "" : "; removed \(EditorState.counted(removed, "file")) of the previous export"
    }
}

extension EditorState {
    /// The images an export of `scope` covers: those with at least one object that has a mask.
    func imagesToExport(_ scope: ExportDialog.Scope) -> [Int] {
        let indices = scope == .thisImage ? [currentImage] : Array(images.indices)
        return indices.filter { index in
            images[index].width != nil && images[index].objects.contains { !$0.steps.isEmpty }
        }
    }

    /// `e`: the dialog, unless there is nothing to export at all.
    mutating func openExportDialog() -> [EditorEffect] {
        guard !imagesToExport(.allImages).isEmpty else { return say("Nothing to export: no object has a mask yet") }
        mode = .exporting(exportChoice ?? ExportDialog(formats: setup.exportFormats))
        return []
    }

    /// A key while the dialog is up: 1-6 toggle a format, Tab or `a` the scope, `d` types the
    /// destination, Enter or `e` exports, Esc, `q` or Ctrl-C cancel; other keys do nothing.
    mutating func answerExportDialog(_ dialog: ExportDialog, key: Key) -> [EditorEffect] {
        var dialog = dialog
        if let text = dialog.typing {
            typeDestination(text, key: key, into: &dialog)
            mode = .exporting(dialog)
            return []
        }
        switch key {
        case .escape, .control("c"), .character("q"):
            mode = .normal
            return say("Export cancelled")
        case .enter, .character("e"):
            guard !dialog.formats.isEmpty else { return sayError("Choose a format first (1-\(ExportFormat.allCases.count))") }
            let indices = imagesToExport(dialog.scope)
            guard !indices.isEmpty else {
                return sayError("Nothing to export on this image: Tab exports all images")
            }
            mode = .normal
            exportChoice = dialog
            return export(images: indices)
        case .tab, .backTab, .character("a"):
            dialog.scope = dialog.scope == .thisImage ? .allImages : .thisImage
        case .character("d"):
            dialog.typing = dialog.destination ?? setup.outputDirectory ?? ""
        case .character(let character):
            guard let number = character.wholeNumberValue else { return [] }
            dialog.toggle(formatNumber: number)
        default:
            return []
        }
        message = nil
        mode = .exporting(dialog)
        return []
    }

    /// Typing the destination: Enter keeps it (empty: the default again), Esc leaves it as it was.
    private mutating func typeDestination(_ text: String, key: Key, into dialog: inout ExportDialog) {
        switch key {
        case .enter:
            let folder = text.trimmingCharacters(in: .whitespaces)
            dialog.destination = folder.isEmpty ? nil : folder
            dialog.typing = nil
            say(folder.isEmpty ? "Exports go to the default folder again" : "Exports go to \(folder)")
        case .escape:
            dialog.typing = nil
        case .backspace:
            dialog.typing = String(text.dropLast())
        case .character(let character):
            dialog.typing = text + String(character)
        default:
            break
        }
    }

    /// The folder an export goes to when one was chosen (typed in the dialog, else `--out`).
    var exportFolder: String? { exportChoice?.destination ?? setup.outputDirectory }

    /// Where an export of `scope` puts its files, as the dialog says it.
    func exportDestination(_ scope: ExportDialog.Scope, dialog: ExportDialog? = nil) -> String {
        if let folder = dialog?.destination ?? exportFolder { return folder }
        if scope == .allImages { return "\(Exporter.exportFolderName)/ beside each image" }
        return Exporter.defaultFolder(forImage: document.path)
    }
}
