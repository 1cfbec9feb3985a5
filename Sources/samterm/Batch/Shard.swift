import ArgumentParser

/// `--shard I/N`: the I-th of N disjoint, contiguous slices of the sorted inputs; I counts from
/// 0, as Kubernetes' JOB_COMPLETION_INDEX and a Slurm array declared `--array=0-(N-1)` do. The
/// N slices together hold every input exactly once, and their sizes differ by at most one.
struct Shard: ExpressibleByArgument, Equatable, CustomStringConvertible {
    let index: Int
    let count: Int

    init?(index: Int, count: Int) {
        guard count >= 1, (0..<count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    init?(argument: String) {
        let fields = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard fields.count == 2, let index = Int(fields[0]), let count = Int(fields[1]) else { return nil }
        self.init(index: index, count: count)
    }

    static var defaultValueDescription: String { "I/N" }

    var description: String { "\(index)/\(count)" }

    /// The positions of this slice in a list of `total` items.
    func range(ofTotal total: Int) -> Range<Int> {
        (index * total / count)..<((index + 1) * total / count)
    }

    func slice<Element>(_ items: [Element]) -> [Element] {
        Array(items[range(ofTotal: items.count)])
    }
}
