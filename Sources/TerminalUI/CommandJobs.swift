// The commands `!` runs: each on a thread of its own (the predictor must keep answering clicks
// while a model takes a minute), answered through the editor's inbox; a cancel or quitting
// ends them.
import Foundation
import Segmentation

final class CommandJobs: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled: Set<Int> = []
    private var stopping = false
    private let post: @Sendable (EditorEvent) -> Void

    init(post: @escaping @Sendable (EditorEvent) -> Void) {
        self.post = post
    }

    func run(_ request: CommandRequest) {
        let thread = Thread { [self] in
            let event: EditorEvent
            do {
                let result = try CommandRunner.run(request.line, timeout: request.timeout) { [self] in isCancelled(request.id) }
                event = .commandFinished(requestID: request.id, result: result)
            } catch {
                event = .describeFailed(requestID: request.id, message: "\(error)")
            }
            if let folder = request.folder { try? FileManager.default.removeItem(atPath: folder) }
            post(event)
        }
        thread.name = "samterm command"
        thread.start()
    }

    func cancel(_ id: Int) {
        lock.lock()
        cancelled.insert(id)
        lock.unlock()
    }

    /// Every command still running stops (the editor is quitting).
    func stopAll() {
        lock.lock()
        stopping = true
        lock.unlock()
    }

    private func isCancelled(_ id: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping || cancelled.contains(id)
    }
}
