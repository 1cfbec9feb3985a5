// The export dialog as text, drawn in a box over the image as the help is: formats with their
// numbers and check marks, the two scopes, the destination.
import Foundation
import Segmentation

public enum ExportDialogView {
    public static let title = "Export (Enter: export, Esc: cancel)"

    static let formatHelp: [ExportFormat: String] = [
        .png: "one 0/255 mask per object",
        .labelmap: "one picture, object i = value i",
        .cutout: "the image cut out per object",
        .coco: "COCO JSON, compressed RLE",
        .overlay: "the image with the masks over it",
        .polygons: "COCO JSON with polygons",
    ]

    /// The dialog's lines, the title first.
    public static func lines(_ state: EditorState, _ dialog: ExportDialog) -> [String] {
        var lines = [title, "", "Formats (1-\(ExportFormat.allCases.count) turn on / off):"]
        let nameWidth = ExportFormat.allCases.map(\.rawValue.count).max() ?? 0
        for (number, format) in ExportFormat.allCases.enumerated() {
            let mark = dialog.formats.contains(format) ? "[x]" : "[ ]"
            lines.append(" \(mark) \(number + 1) \(format.rawValue.padding(toLength: nameWidth, withPad: " ", startingAt: 0))"
                         + "  \(formatHelp[format] ?? "")")
        }
        lines += ["", "Images (Tab switches):"]
        let this = state.imagesToExport(.thisImage).isEmpty ? "nothing to export" : masks(state, [state.currentImage])
        lines.append(" \(dialog.scope == .thisImage ? "(•)" : "( )") this image: \(state.document.name), \(this)")
        let all = state.imagesToExport(.allImages)
        lines.append(" \(dialog.scope == .allImages ? "(•)" : "( )") every image with objects opened in this run: "
                     + "\(EditorState.counted(all.count, "image")), \(masks(state, all))")
        if let typing = dialog.typing {
            lines += ["", "To: \(typing)█", "Type a folder: Enter keeps it (empty: the default), Esc goes back."]
            return lines
        }
        let destination = state.exportDestination(dialog.scope, dialog: dialog)
        // Absolute, as the files will be (the image may have been named relative to here).
        let isFolder = (dialog.destination ?? state.setup.outputDirectory) != nil || dialog.scope == .thisImage
        let shown = isFolder ? SessionStore.absolutePath(destination) : destination
        lines += ["", "To: \(shown)  (d: another folder)", "Leftovers of the last export there are removed."]
        return lines
    }

    private static func masks(_ state: EditorState, _ indices: [Int]) -> String {
        EditorState.counted(indices.map { state.images[$0].objects.filter { !$0.steps.isEmpty }.count }.reduce(0, +), "mask")
    }

    /// The box to draw, centred in `area`, and its text lines (already fitted).
    public static func layout(_ state: EditorState, _ dialog: ExportDialog, in area: CellRect) -> (box: CellRect, lines: [String]) {
        OverlayBox.layout(lines(state, dialog), in: area)
    }
}

/// A box of text lines centred in an area, cut to fit it: the help and the export dialog.
enum OverlayBox {
    static func layout(_ text: [String], in area: CellRect) -> (box: CellRect, lines: [String]) {
        let contentWidth = text.map(\.count).max() ?? 0
        let width = min(contentWidth + 4, area.width)
        let height = min(text.count + 2, area.height)
        let box = CellRect(column: area.column + max((area.width - width) / 2, 0),
                           row: area.row + max((area.height - height) / 2, 0), width: width, height: height)
        let lines = text.prefix(max(height - 2, 0)).map { String($0.prefix(max(width - 4, 0))) }
        return (box, lines)
    }
}
