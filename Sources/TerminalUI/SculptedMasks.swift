// The masks the editor shows, saves and exports: each object's chosen candidate with its edits
// applied (MaskSculpting), and with no overlaps, without the pixels of the objects before it.
// Derived state, brought up to date once after every update: only what changed is recomputed,
// and a stroke being drawn or a new edit applies just its own part to the mask before it.
import Segmentation

/// What an object's sculpted mask was computed from.
struct SculptSource: Equatable, Sendable {
    /// The candidates' version and the chosen one; nil: the imported mask, or an empty one.
    var candidate: CandidateKey?
    /// Without a candidate: the imported mask (else an empty mask, strokes on nothing).
    var fromBase = false
    var width: Int
    var height: Int
    var edits: [MaskEdit]

    struct CandidateKey: Equatable, Sendable {
        var version: Int
        var chosen: Int
    }
}

extension EditorObject {
    /// The base mask and what it is, or nil when there is nothing to show (no candidates yet,
    /// or neither a prompt nor an edit).
    fileprivate func sculptBase(emptySize: (width: Int, height: Int)) -> (mask: BinaryMask, source: SculptSource)? {
        if let candidate = chosenCandidate, !prompting.isEmpty {
            let source = SculptSource(candidate: .init(version: candidatesVersion, chosen: chosen),
                                      width: candidate.mask.width, height: candidate.mask.height, edits: edits)
            return (candidate.mask, source)
        }
        // The imported mask stays on screen until the first prediction replaces it.
        if let baseMask, prompting.isEmpty || candidates.isEmpty {
            return (baseMask, SculptSource(candidate: nil, fromBase: true, width: baseMask.width, height: baseMask.height, edits: edits))
        }
        guard prompting.isEmpty, !edits.isEmpty else { return nil }
        return (BinaryMask(width: emptySize.width, height: emptySize.height),
                SculptSource(candidate: nil, width: emptySize.width, height: emptySize.height, edits: edits))
    }

    /// Drops the masks made from the candidates and edits (an old undo entry keeps what makes
    /// them, not them: each stroke's mask is new storage); they are made again when restored.
    mutating func forgetSculptedMasks() {
        sculptedMask = nil
        sculptedFrom = nil
        mask = nil
    }

    /// Recomputes the sculpted mask if its source changed; true when it did.
    fileprivate mutating func refreshSculpted(imageWidth: Int, imageHeight: Int, emptySize: (width: Int, height: Int)) -> Bool {
        guard let (base, source) = sculptBase(emptySize: emptySize) else {
            guard sculptedFrom != nil || sculptedMask != nil else { return false }
            sculptedFrom = nil
            sculptedMask = nil
            return true
        }
        guard source != sculptedFrom else { return false }
        if let old = sculptedFrom, let previous = sculptedMask,
           let tail = Self.editsAfter(old, toReach: source) {
            sculptedMask = MaskSculpting.apply(tail, to: previous, imageWidth: imageWidth, imageHeight: imageHeight)
        } else {
            sculptedMask = MaskSculpting.apply(source.edits, to: base, imageWidth: imageWidth, imageHeight: imageHeight)
        }
        sculptedFrom = source
        return true
    }

    /// The edits that take a mask sculpted from `old` to one sculpted from `new`, when `new`
    /// only adds to `old`: new edits after the old ones, or the last stroke drawn further (its
    /// new segments, from the old path's end). Nil when the mask must be made again.
    static func editsAfter(_ old: SculptSource, toReach new: SculptSource) -> [MaskEdit]? {
        guard old.candidate == new.candidate, old.fromBase == new.fromBase, old.width == new.width, old.height == new.height,
              new.edits.count >= old.edits.count else { return nil }
        if new.edits.starts(with: old.edits) { return Array(new.edits.dropFirst(old.edits.count)) }
        guard let last = old.edits.last, case .stroke(let before) = last,
              new.edits.count >= old.edits.count, new.edits.starts(with: old.edits.dropLast()),
              case .stroke(let after) = new.edits[old.edits.count - 1],
              after.radius == before.radius, after.erases == before.erases,
              after.path.starts(with: before.path), let end = before.path.last else { return nil }
        let extended = MaskEdit.stroke(.init(path: [end] + after.path.dropFirst(before.path.count), radius: after.radius,
                                             erases: after.erases))
        return [extended] + new.edits.dropFirst(old.edits.count)
    }
}

extension ImageDocument {
    /// Brings every object's shown mask up to date; `nextVersion` numbers changed masks (unique
    /// across the editor, so a renderer's cached layer never stands for another mask).
    mutating func refreshMasks(nextVersion: inout Int) {
        guard let width, let height else { return }
        let emptySize = EditorState.displayMaskSize(width: width, height: height)
        var changed = false
        for index in objects.indices
        where objects[index].refreshSculpted(imageWidth: width, imageHeight: height, emptySize: emptySize) {
            changed = true
        }
        let shownFrom = ShownMasksKey(noOverlaps: noOverlaps, objects: objects.map { object in object.sculptedMask == nil ? nil : object.id })
        guard changed || shownFrom != shownMasksKey else { return }
        shownMasksKey = shownFrom
        var shown = objects.map(\.sculptedMask)
        if noOverlaps {
            var taken: BinaryMask?
            for index in shown.indices {
                guard let mask = shown[index] else { continue }
                if let earlier = taken, earlier.width == mask.width, earlier.height == mask.height {
                    shown[index] = mask.subtracting(earlier)
                    taken = earlier.union(mask)
                } else if taken == nil {
                    taken = mask
                }
            }
        }
        for index in objects.indices where objects[index].mask != shown[index] {
            objects[index].mask = shown[index]
            objects[index].maskVersion = nextVersion
            nextVersion += 1
        }
    }
}

/// What the shown masks were last made from: the order of the objects with a mask, and whether
/// they may overlap.
struct ShownMasksKey: Equatable, Sendable {
    var noOverlaps: Bool
    var objects: [Int?]
}
