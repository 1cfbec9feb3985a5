import Segmentation
import XCTest

final class YOLODataYAMLTests: XCTestCase {
    func testTheFormsUltralyticsWritesAndDocuments() {
        XCTAssertEqual(YOLODataYAML.names(in: "path: /d\ntrain: images\nnames:\n  0: person\n  1: 'traffic light'\n  3: \"a \\\"b\\\"\"\nnc: 4\n"),
                       ["person", "traffic light", "class 2", "a \"b\""])
        XCTAssertEqual(YOLODataYAML.names(in: "names:\n- cat\n- dog # pets\n"), ["cat", "dog"])
        XCTAssertEqual(YOLODataYAML.names(in: "names: [cat, 'hot, dog', \"x\"]\n"), ["cat", "hot, dog", "x"])
        XCTAssertNil(YOLODataYAML.names(in: "train: images\n"))
        XCTAssertNil(YOLODataYAML.names(in: "names:\n  zero: person\n"))
    }

    func testWhatItWritesReadsBack() {
        let names = ["a", "quote \" and \\ slash", "ünï", "  spaced"]
        XCTAssertEqual(YOLODataYAML.names(in: "path: x\n" + YOLODataYAML.namesBlock(names)), names)
    }
}
