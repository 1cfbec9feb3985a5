// Which image each of the engine's slots holds: the bookkeeping behind encoding ahead.

/// The engine holds a few encoded images at once, one per slot (`PredictionEngine.slotCount`).
/// Predictions run on the active slot; a new image goes into the slot used least recently.
struct EngineSlots {
    private struct Holder {
        var image: Int
        /// The image's content key: a slot holding older content of the same index is no match.
        var key: String
        var used: Int
    }

    private var holders: [Holder?]
    /// The slot predictions run on.
    private(set) var active: Int?
    private var useCounter = 0

    init(count: Int) {
        holders = Array(repeating: nil, count: max(count, 1))
    }

    var count: Int { holders.count }

    /// The image in the active slot; nil while it is being filled or its encoding failed.
    var activeImage: Int? { active.flatMap { holders[$0]?.image } }

    func holds(image: Int) -> Bool {
        holders.contains { $0?.image == image }
    }

    /// The slot that holds this content of image `index`, if one does (not made active).
    func slot(holding index: Int, key: String) -> Int? {
        holders.firstIndex(where: { $0?.image == index && $0?.key == key })
    }

    /// Makes the slot that holds this content of image `index` the active one; false when none does.
    mutating func activate(image index: Int, key: String) -> Bool {
        guard let slot = holders.firstIndex(where: { $0?.image == index && $0?.key == key }) else { return false }
        active = slot
        let use = nextUse()
        holders[slot]?.used = use
        return true
    }

    /// Empties the slot used least recently, never `spared`, for a new image and returns it.
    mutating func free(sparing spared: Int? = nil) -> Int {
        let candidates = holders.indices.filter { $0 != spared }
        let slot = candidates.min { (holders[$0]?.used ?? -1) < (holders[$1]?.used ?? -1) } ?? 0
        holders[slot] = nil
        return slot
    }

    mutating func activate(_ slot: Int) {
        active = slot
    }

    /// Records that `slot` now holds image `index` (its content `key`).
    mutating func fill(_ slot: Int, image index: Int, key: String) {
        holders[slot] = Holder(image: index, key: key, used: nextUse())
    }

    private mutating func nextUse() -> Int {
        useCounter += 1
        return useCounter
    }
}
