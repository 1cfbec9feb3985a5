import Foundation

/// What a batch run did: the counts for the summary line and the exit status.
struct BatchSummary: Equatable {
    var processed = 0
    var skipped = 0
    var failed = 0
    var seconds: Double = 0

    var total: Int { processed + skipped + failed }

    /// "3 images: 2 processed, 1 skipped, 0 failed in 4.1 s"
    var line: String {
        "\(total) image\(total == 1 ? "" : "s"): \(processed) processed, \(skipped) skipped, \(failed) failed in "
            + ProgressReporter.durationText(seconds)
    }

    /// 0 when every image is done, 1 when any failed.
    var exitStatus: Int32 { failed > 0 ? 1 : 0 }

    /// "photo.jpg: reason": one line naming the image and what went wrong. Errors that already
    /// name the file (image and file errors do) are not prefixed a second time.
    static func failureLine(input: String, error: Error) -> String {
        let text = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.hasPrefix(input + ":") ? text : "\(input): \(text)"
    }
}
