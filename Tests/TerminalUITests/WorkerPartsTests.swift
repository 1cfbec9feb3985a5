// The predictor worker's parts on their own: the mailbox's order, the engine slots, the decoded images.
import XCTest
import Foundation
import Segmentation
@testable import TerminalUI

final class WorkerPartsTests: XCTestCase {
    private func predict(id: Int, object: Int) -> EditorEffect {
        .predict(PredictRequest(id: id, imageIndex: 0, objectID: object, prompting: Prompt(), maskWidth: 1, maskHeight: 1))
    }

    private func describe(_ job: WorkerMailbox.Job?) -> String {
        switch job {
        case .open(let open)?: return "open \(open.index)"
        case .predict(let request)?: return "predict \(request.id)"
        case .replay(let request)?: return "replay \(request.id)"
        case .export(let request)?: return "export \(request.imageIndex)"
        case .findObjects(let job)?: return "find \(job.imageIndex)"
        case .embed(let request)?: return "embed \(request.id)"
        case .queryIndex(let query)?: return "query \(query.id)"
        case .cutout(let request)?: return "cutout \(request.id)"
        case .prefetch(let index, _)?: return "prefetch \(index)"
        case .video(let request)?: return "video \(request.id)"
        case nil: return "stopped"
        }
    }

    func testTheMailboxOrdersJobsAndKeepsTheNewestPerObject() {
        let mailbox = WorkerMailbox()
        mailbox.put(.prefetchImage(index: 2, path: "/c.png"))
        mailbox.put(.findObjects(imageIndex: 0, maskWidth: 1, maskHeight: 1))
        mailbox.put(.export(ExportRequest(imageIndex: 0, imagePath: "/a.png", imageWidth: 1, imageHeight: 1, objects: [])))
        mailbox.put(predict(id: 1, object: 1))
        mailbox.put(predict(id: 2, object: 2))
        mailbox.put(.replay(ReplayRequest(id: 3, imageIndex: 0, objectID: 1, steps: [], maskWidth: 1, maskHeight: 1)))
        mailbox.put(.openImage(index: 0, path: "/a.png", needsPixels: true, lookForSession: true))
        mailbox.put(.openImage(index: 1, path: "/b.png", needsPixels: true, lookForSession: true))
        mailbox.put(.save(ImageSessionSnapshot(imagePath: "/a.png", sha256: "", width: 1, height: 1, model: "", objects: [])))

        guard let first = mailbox.takeFirstPixels() else { return XCTFail("no pixels to show") }
        XCTAssertEqual(first.index, 1, "the newest open replaced the older one")
        XCTAssertNil(mailbox.takeFirstPixels(), "the pixels are taken once")
        var order: [String] = []
        for _ in 0..<6 {
            let job = mailbox.next()
            if case .open(let open)? = job { XCTAssertFalse(open.needsPixels) }
            order.append(describe(job))
            mailbox.finished()
        }
        XCTAssertEqual(order, ["open 1", "replay 3", "predict 2", "export 0", "find 0", "prefetch 2"],
                       "the replay of object 1 replaced its waiting prediction")
        mailbox.stop()
        XCTAssertEqual(describe(mailbox.next()), "stopped")
        XCTAssertTrue(mailbox.waitUntilIdle(timeout: 1))
    }

    func testEngineSlotsReuseTheLeastRecentlyUsed() {
        var slots = EngineSlots(count: 2)
        let first = slots.free()
        slots.activate(first)
        XCTAssertNil(slots.activeImage, "nothing in the slot until it is filled")
        slots.fill(first, image: 0, key: "a")
        XCTAssertEqual(slots.activeImage, 0)
        let spare = slots.free(sparing: slots.active)
        XCTAssertNotEqual(spare, first)
        slots.fill(spare, image: 1, key: "b")
        XCTAssertTrue(slots.holds(image: 1))
        XCTAssertFalse(slots.activate(image: 1, key: "changed"), "other content of the same image is no match")
        XCTAssertTrue(slots.activate(image: 1, key: "b"))
        XCTAssertEqual(slots.activeImage, 1)
        XCTAssertEqual(slots.free(), first, "image 0 was used least recently")
        XCTAssertFalse(slots.holds(image: 0))
        XCTAssertEqual(EngineSlots(count: 0).count, 1, "an engine has at least one slot")
    }

    func testDecodedImagesKeepTheTwoUsedLast() throws {
        let reads = Counter()
        var images = DecodedImages { path in
            reads.increment()
            return (EditorFixtures.gradient(width: 2, height: 1), "key" + path)
        }
        XCTAssertEqual(try images.image(index: 0, path: "/a").key, "key/a")
        _ = try images.image(index: 1, path: "/b")
        _ = try images.image(index: 0, path: "/a")
        XCTAssertEqual(reads.value, 2, "kept images are not read again")
        _ = try images.image(index: 2, path: "/c")
        XCTAssertNotNil(images.kept(0))
        XCTAssertNil(images.kept(1), "the one used least recently went")
        XCTAssertNotNil(images.kept(2))
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
