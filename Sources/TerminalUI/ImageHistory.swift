// One undo history per image: every change to an image's objects (prompts, candidate choice,
// names, deletes, adopted suggestions) is recorded as a labelled snapshot of what undo restores.
//
// Why whole snapshots and not per-object steps: a delete removes the object that a per-object
// history lives in, and undo then edits whichever object is current. A snapshot of the objects
// array is cheap, since Swift arrays are copy-on-write: a snapshot shares every object's masks
// and logits with the present until one of them changes.
import Segmentation

/// What undo restores of an image.
struct ImageSnapshot: Sendable {
    var objects: [EditorObject]
    var currentObject: Int
    var nextObjectID: Int
    /// The automatic masks not adopted yet; kept only by the entries of an adoption, so undoing
    /// one puts its outline back (other undos leave a newer run's outlines alone).
    var suggestions: [MaskSuggestion]?
}

/// A change as undo and redo name it ("delete helmet"), with the image as it was on the other
/// side of it.
struct HistoryEntry: Sendable {
    /// The name, where `objectName` and `objectNumber` stand for the object's as they are when
    /// undo or redo says it: a name given later, or a number known only once the image's
    /// session came back, is the one the message shows.
    var label: String
    /// The object the change was made to.
    var objectID: Int?
    var snapshot: ImageSnapshot

    static let objectName = "\u{1}"
    static let objectNumber = "\u{2}"

    /// The label with the object's name and number, looked up in `objects` (the first holding it).
    func text(objects: [EditorObject]) -> String {
        let object = objectID.flatMap { id in objects.first { $0.id == id } }
        let number = object?.numberLabel ?? objectID.map { "object \($0)" } ?? "the object"
        return label.replacingOccurrences(of: Self.objectName, with: object?.displayName ?? number)
                    .replacingOccurrences(of: Self.objectNumber, with: number)
    }
}

struct ImageHistory: Sendable {
    /// Undo keeps this many changes per image.
    static let limit = 100
    /// The newest changes on each side keep their objects' candidates, so undoing them costs no
    /// prediction. Older ones keep the steps that reproduce them and are replayed when restored:
    /// each prediction's masks are new storage (up to 1024 x 1024 bytes a candidate), which a
    /// hundred snapshots would otherwise hold on to.
    static let candidatesKept = 10

    private(set) var undoEntries: [HistoryEntry] = []
    private(set) var redoEntries: [HistoryEntry] = []

    var canUndo: Bool { !undoEntries.isEmpty }
    var canRedo: Bool { !redoEntries.isEmpty }

    /// A new change: what came before it, under its name. A new change ends what could be redone.
    mutating func record(_ entry: HistoryEntry) {
        Self.push(entry, onto: &undoEntries)
        redoEntries.removeAll()
    }

    /// Takes the entry to step to (undo: the newest change; redo: the newest undone one) and
    /// keeps `present`, under the same label, for the way back. Nil when there is none.
    mutating func step(undo: Bool, present: (HistoryEntry) -> ImageSnapshot) -> HistoryEntry? {
        guard let entry = undo ? undoEntries.popLast() : redoEntries.popLast() else { return nil }
        let back = HistoryEntry(label: entry.label, objectID: entry.objectID, snapshot: present(entry))
        if undo { Self.push(back, onto: &redoEntries) } else { Self.push(back, onto: &undoEntries) }
        return entry
    }

    /// Changes every entry alike (objects renumbered when a session comes back).
    mutating func transformEntries(_ change: (inout HistoryEntry) -> Void) {
        for index in undoEntries.indices { change(&undoEntries[index]) }
        for index in redoEntries.indices { change(&redoEntries[index]) }
    }

    private static func push(_ entry: HistoryEntry, onto stack: inout [HistoryEntry]) {
        stack.append(entry)
        if stack.count > limit { stack.removeFirst(stack.count - limit) }
        // Entries sink only by pushes, so the one reaching this depth is the only one to thin.
        let sunk = stack.count - 1 - candidatesKept
        if sunk >= 0 {
            for index in stack[sunk].snapshot.objects.indices {
                stack[sunk].snapshot.objects[index].forgetCandidates()
                stack[sunk].snapshot.objects[index].forgetSculptedMasks()
            }
        }
    }
}

extension ImageDocument {
    /// The image's objects as undo would bring them back.
    func snapshot(withSuggestions: Bool = false) -> ImageSnapshot {
        ImageSnapshot(objects: objects, currentObject: currentObject, nextObjectID: nextObjectID,
                      suggestions: withSuggestions ? suggestions : nil)
    }

    mutating func restore(_ snapshot: ImageSnapshot) {
        objects = snapshot.objects
        currentObject = snapshot.currentObject
        nextObjectID = snapshot.nextObjectID
        if let kept = snapshot.suggestions {
            suggestions = kept
            suggestionsVersion += 1
        }
    }
}
