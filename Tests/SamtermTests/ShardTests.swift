// --shard I/N: parsing, and slices that are disjoint, cover everything and are balanced.
import XCTest
@testable import samterm

final class ShardTests: XCTestCase {
    func testParsesZeroBasedIndexOfCount() {
        XCTAssertEqual(Shard(argument: "0/4"), Shard(index: 0, count: 4))
        XCTAssertEqual(Shard(argument: "3/4"), Shard(index: 3, count: 4))
        XCTAssertEqual(Shard(argument: "0/1")?.description, "0/1")
    }

    func testRejectsIndicesOutsideTheCountAndMalformedText() {
        for text in ["4/4", "-1/4", "1/0", "0/-2", "1", "1/2/3", "a/4", "1/b", "", "/", "1/", " 1/4"] {
            XCTAssertNil(Shard(argument: text), text)
        }
    }

    func testSlicesAreDisjointCoverEverythingInOrderAndDifferByAtMostOne() {
        for total in [0, 1, 2, 7, 100, 101] {
            for count in [1, 2, 3, 8, 150] {
                let items = Array(0..<total)
                let slices = (0..<count).map { Shard(index: $0, count: count)!.slice(items) }
                XCTAssertEqual(slices.flatMap { $0 }, items, "\(total) in \(count)")
                let sizes = slices.map(\.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "\(total) in \(count): \(sizes)")
            }
        }
    }

    func testSliceIsContiguous() {
        let items = (0..<10).map { "image-\($0).png" }
        XCTAssertEqual(Shard(index: 1, count: 3)!.slice(items), ["image-3.png", "image-4.png", "image-5.png"])
        XCTAssertEqual(Shard(index: 2, count: 3)!.slice(items), ["image-6.png", "image-7.png", "image-8.png", "image-9.png"])
    }
}
