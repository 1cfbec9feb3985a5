// The update's objects: which one is being edited, accepting, naming, deleting, moving between them.
import Foundation
import Segmentation

extension EditorState {
    /// Changes the object being edited in place; nil (and no change) when the image has none.
    @discardableResult
    mutating func modifyCurrentObject<Result>(_ change: (inout EditorObject) -> Result) -> Result? {
        guard currentObject != nil else { return nil }
        let index = document.currentObject
        return change(&images[currentImage].objects[index])
    }

    /// Gives the current image an object to edit when it has none.
    mutating func ensureCurrentObject() {
        if currentObject == nil { startNewObject() }
    }

    mutating func startNewObject(category: String? = nil) {
        let id = document.nextObjectID
        document.nextObjectID += 1
        var object = EditorObject(id: id, colorIndex: id - 1)
        object.category = category
        object.numberPending = document.autosave == .waiting
        document.objects.append(object)
        document.currentObject = document.objects.count - 1
    }

    /// Drops the current object when it holds nothing, before moving away from it; true when
    /// it did (the current index then names the object after the dropped one). Not a change
    /// of its own: undoing the one that emptied it (a clear) brings it back whole.
    @discardableResult
    mutating func dropCurrentObjectIfEmpty() -> Bool {
        guard let object = currentObject, object.prompting.isEmpty, object.name == nil, object.category == nil,
              object.edits.isEmpty, object.base == nil else { return false }
        document.objects.remove(at: document.currentObject)
        return true
    }

    /// `n`: keeps the current object as it is and starts the next.
    mutating func acceptObject() -> [EditorEffect] {
        guard let object = currentObject, object.hasMask else { return say("Nothing to accept yet: place a point first") }
        boxAnchor = nil
        // Ten apples are ten clicks: the next object is of the same class.
        startNewObject(category: object.category)
        say("Accepted \(object.displayName); now \(currentObject?.displayName ?? "")" + (object.category.map { " (\($0))" } ?? ""))
        return autosave(image: currentImage)
    }

    /// `N`: asks for a name (Update+Dialogs takes the typing).
    mutating func renameObject() -> [EditorEffect] {
        guard viewport != nil else { return notReady() }
        ensureCurrentObject()
        mode = .naming(currentObject?.name ?? "")
        return []
    }

    /// The name typed for the current object; an empty one takes the name away.
    mutating func nameCurrentObject(_ text: String) -> [EditorEffect] {
        let name = text.trimmingCharacters(in: .whitespaces)
        let before = document.snapshot()
        guard let object = currentObject else { return [] }
        let newName = name.isEmpty ? nil : name
        guard newName != object.name else { return say("\(object.displayName) keeps its name") }
        let named = modifyCurrentObject { object -> String in
            object.name = newName
            return object.displayName
        } ?? ""
        let old = object.name ?? HistoryEntry.objectNumber
        recordChange(newName == nil ? "remove the name \(old)" : "rename \(old) to \(named)", object: object.id, from: before)
        document.hasUnsavedChanges = true
        say("Named \(named)")
        return autosave(image: currentImage)
    }

    mutating func cycleObject(by step: Int) -> [EditorEffect] {
        boxAnchor = nil
        let dropped = dropCurrentObjectIfEmpty()
        guard !document.objects.isEmpty else {
            document.currentObject = 0
            return say("No objects yet")
        }
        let count = document.objects.count
        // After a drop the index already sits on the next object.
        let target = dropped && step > 0 ? document.currentObject : document.currentObject + step
        document.currentObject = (target % count + count) % count
        return []
    }

    /// Makes the object at `index` of the current image the one being edited.
    mutating func selectObject(at index: Int) {
        guard document.objects.indices.contains(index), index != document.currentObject else { return }
        boxAnchor = nil
        let target = document.objects[index].id
        dropCurrentObjectIfEmpty()
        document.currentObject = document.objects.firstIndex { $0.id == target } ?? 0
    }

    /// Delete: asks first (Update+Dialogs takes the answer).
    mutating func askToDeleteObject() -> [EditorEffect] {
        guard let object = currentObject, !object.prompting.isEmpty || object.name != nil else {
            return say("No object to delete")
        }
        mode = .confirmDeleteObject
        return []
    }

    mutating func deleteCurrentObject() -> [EditorEffect] {
        guard let object = currentObject else { return [] }
        let before = document.snapshot()
        document.objects.remove(at: document.currentObject)
        recordChange("delete \(HistoryEntry.objectName)", object: object.id, from: before)
        document.currentObject = max(min(document.currentObject, document.objects.count - 1), 0)
        document.hasUnsavedChanges = true
        boxAnchor = nil
        say("Deleted \(object.displayName) (u brings it back)")
        return autosave(image: currentImage)
    }
}
