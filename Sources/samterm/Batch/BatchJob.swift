/// What a batch command does to one image. The runner asks `isComplete` first (unless
/// `--overwrite`), and calls `process` only for images that are not.
protocol BatchJob {
    /// True when every output of `input` exists and is whole, so a resumed run skips it.
    /// Throws, and the image counts as failed, when outputs exist that this run must not
    /// silently replace (made with another prompt, say).
    func isComplete(_ input: String) throws -> Bool

    /// Makes the outputs of `input`; each written atomically, the one `isComplete` looks at last.
    func process(_ input: String) throws
}
