// Writes a video's session file off the main thread: the newest content only, one write at a time.
import Foundation
import Segmentation

final class VideoSessionWriter: @unchecked Sendable {
    private let queue = DispatchQueue(label: "samterm video session")
    private let lock = NSLock()
    private var waiting: (path: String, session: VideoSession)?
    private var lastWritten: VideoSession?
    private let report: @Sendable (String) -> Void

    init(report: @escaping @Sendable (String) -> Void) {
        self.report = report
    }

    func save(_ session: VideoSession, to path: String) {
        lock.lock()
        let scheduled = waiting != nil
        waiting = (path, session)
        lock.unlock()
        if !scheduled { queue.async { self.writeWaiting() } }
    }

    /// Returns once every write handed over is on disk.
    func finish() {
        queue.sync {}
    }

    private func writeWaiting() {
        lock.lock()
        let job = waiting
        waiting = nil
        lock.unlock()
        guard let job, job.session != lastWritten else { return }
        do {
            try job.session.save(to: job.path)
            lastWritten = job.session
        } catch {
            report("Cannot save the video's session: \(error)")
        }
    }
}
