// The lock beside a session file: taken, refused while a live process holds it, taken over once
// its holder died (however it died), and never assumed gone when its holder is on another host.
import XCTest
import Foundation
@testable import Segmentation

final class SessionLockTests: XCTestCase {
    var folder: String!
    var sessionPath: String { folder + "/cat.png.samterm.json" }
    var lockPath: String { sessionPath + ".lock" }

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "samterm-lock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func take(as holder: SessionLock.Holder = .current) throws -> SessionLock {
        let acquisition = try SessionLock.acquire(sessionPath: sessionPath, as: holder)
        guard case .acquired(let lock) = acquisition else {
            throw NSError(domain: "SessionLockTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "not taken: \(acquisition)"])
        }
        return lock
    }

    private func holder(_ acquisition: SessionLock.Acquisition) -> SessionLock.Holder? {
        if case .heldBy(let holder) = acquisition { return holder }
        return nil
    }

    /// A lock file as a holder left it, with nobody holding its flock.
    private func leaveLockFile(pid: Int32, host: String) throws {
        let text = #"{"host":"\#(host)","pid":\#(pid),"started":"2024-01-01T00:00:00Z"}"#
        try text.write(toFile: lockPath, atomically: false, encoding: .utf8)
    }

    /// The pid of a process that has ended.
    private func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    func testTakenWithTheHoldersNameAndRemovedOnRelease() throws {
        let lock = try take()
        XCTAssertEqual(lock.path, lockPath)
        let named = try XCTUnwrap(SessionLock.holder(ofSession: sessionPath))
        XCTAssertEqual(named.pid, getpid())
        XCTAssertEqual(named.host, SessionLock.hostName)
        XCTAssertFalse(named.started.isEmpty)
        lock.release()
        XCTAssertFalse(FileManager.default.fileExists(atPath: lockPath), "released: the file is gone")
        lock.release()
        let again = try take()
        again.release()
    }

    func testRefusedWhileHeldNamingTheHolder() throws {
        let first = try take(as: SessionLock.Holder(pid: getpid(), host: SessionLock.hostName, started: "first"))
        let refused = try SessionLock.acquire(sessionPath: sessionPath)
        XCTAssertEqual(holder(refused)?.started, "first", "the second editor learns who holds it")
        XCTAssertEqual(holder(refused)?.description, "pid \(getpid()) on \(SessionLock.hostName)")
        first.release()
        let second = try take()
        second.release()
    }

    /// Another process holds the flock (flock(1), as a live samterm would); once it is killed
    /// with SIGKILL, which removes nothing, the file left behind is stale and taken over.
    func testALiveHolderRefusesAndItsLockIsStaleOnceItIsKilled() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/flock") else { throw XCTSkip("needs flock(1)") }
        // The pid written is of a process long gone: the flock, not the pid, says it is alive.
        try leaveLockFile(pid: try deadPID(), host: SessionLock.hostName)
        // One process holding the flock on the file, as an editor would: the shell's fd 9 is
        // locked by flock(1), then the shell becomes sleep, keeping it.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", #"exec 9<"$0" && flock -x 9 && exec sleep 60"#, lockPath]
        try holder.run()
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }
        // Wait until flock(1) has its lock (probing without touching the file).
        let deadline = Date(timeIntervalSinceNow: 10)
        while true {
            let probe = open(lockPath, O_RDONLY)
            let busy = probe >= 0 && flock(probe, LOCK_EX | LOCK_NB) != 0
            close(probe)
            if busy { break }
            guard Date() < deadline, holder.isRunning else { return XCTFail("flock(1) never took the lock") }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let refused = try SessionLock.acquire(sessionPath: sessionPath)
        XCTAssertNotNil(self.holder(refused), "refused while a live process holds the flock")

        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        XCTAssertTrue(FileManager.default.fileExists(atPath: lockPath), "SIGKILL leaves the file")
        let lock = try take()
        XCTAssertEqual(SessionLock.holder(ofSession: sessionPath)?.pid, getpid(), "taken over, with our name")
        lock.release()
    }

    func testALockLeftByADeadProcessOnThisHostIsTakenOver() throws {
        try leaveLockFile(pid: try deadPID(), host: SessionLock.hostName)
        let lock = try take()
        XCTAssertEqual(SessionLock.holder(ofSession: sessionPath)?.pid, getpid())
        lock.release()
    }

    func testAFreeLockNamingALiveUnrelatedProcessIsStaleToo() throws {
        // The pid was reused by something else (here: our parent); nobody holds the flock.
        try leaveLockFile(pid: getppid(), host: SessionLock.hostName)
        let lock = try take()
        lock.release()
    }

    func testAHolderOnAnotherHostIsNotAssumedGone() throws {
        try leaveLockFile(pid: try deadPID(), host: "elsewhere.example")
        let refused = try SessionLock.acquire(sessionPath: sessionPath)
        XCTAssertEqual(holder(refused)?.host, "elsewhere.example")
        XCTAssertTrue(FileManager.default.fileExists(atPath: lockPath), "left for the user to judge")
    }

    func testAFolderThatCannotHoldTheLockIsAnError() {
        XCTAssertThrowsError(try SessionLock.acquire(sessionPath: folder + "/missing/cat.png.samterm.json")) { error in
            XCTAssertTrue("\(error)".contains("cannot create the lock file"), "\(error)")
        }
    }
}
