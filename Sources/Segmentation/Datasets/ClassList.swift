// The classes of a dataset, in id order. A list given by the user (`--classes`) is fixed:
// an object of another class is an error. Without one, classes are added in the order objects
// are first seen, after those an earlier export wrote (so ids never move between exports).
//
// Ids are positions: COCO and VOC count from 1 (VOC's 0 is the background), YOLO from 0. A COCO
// dataset may number its categories its own way (COCO itself skips ids): `cocoIDs` keeps that
// numbering through an import and the next export; classes added later get ids after the largest.

import Foundation

public struct ClassList: Equatable, Sendable {
    public private(set) var names: [String]
    /// Given by the user: names outside it are refused, not added.
    public let isFixed: Bool
    /// The COCO category id of each name, when a dataset numbered them otherwise than 1...n.
    public private(set) var cocoIDs: [Int]?

    /// - Parameter cocoIDs: one distinct positive id per name, or nil for 1...n.
    public init(names: [String] = [], fixed: Bool = false, cocoIDs: [Int]? = nil) {
        var unique: [String] = []
        var ids: [Int] = []
        for (index, name) in names.enumerated() where !unique.contains(name) {
            unique.append(name)
            if let cocoIDs, index < cocoIDs.count { ids.append(cocoIDs[index]) }
        }
        self.names = unique
        isFixed = fixed
        let positional = Array(1...max(1, unique.count)).prefix(unique.count)
        if ids.count == unique.count, Set(ids).count == ids.count, ids.allSatisfy({ $0 > 0 }), !ids.elementsEqual(positional) {
            self.cocoIDs = ids
        }
    }

    /// The COCO category id of the class at `index`.
    public func cocoID(at index: Int) -> Int { cocoIDs?[index] ?? index + 1 }

    public struct UnknownClass: Error, Equatable, CustomStringConvertible, Sendable {
        public let name: String
        public let known: [String]
        public var description: String {
            let shown = known.prefix(8).joined(separator: ", ") + (known.count > 8 ? ", …" : "")
            return "class \"\(name)\" is not in the class list (\(shown))"
        }
    }

    /// The 0-based position of `name`, added at the end when the list is not fixed.
    public mutating func index(of name: String) throws -> Int {
        if let index = names.firstIndex(of: name) { return index }
        guard !isFixed else { throw UnknownClass(name: name, known: names) }
        names.append(name)
        if let ids = cocoIDs { cocoIDs = ids + [(ids.max() ?? 0) + 1] }
        return names.count - 1
    }

    public func contains(_ name: String) -> Bool { names.contains(name) }

    /// `--classes`: a file with one name per line (blank lines and lines starting with `#`
    /// skipped), or, when no such file exists, a comma-separated list.
    public static func parse(argument: String) throws -> ClassList {
        var isFolder: ObjCBool = false
        let names: [String]
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) {
            guard !isFolder.boolValue, let data = FileManager.default.contents(atPath: argument) else {
                throw ClassListError("\(argument): cannot read the class list")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ClassListError("\(argument): the class list is not UTF-8 text")
            }
            names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        } else {
            guard argument.contains(",") || !argument.contains("/") else {
                throw ClassListError("\(argument): no such class list file")
            }
            names = argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        guard !names.isEmpty else { throw ClassListError("\(argument): the class list is empty") }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw ClassListError("\(argument): class \"\(name)\" is listed twice")
        }
        return ClassList(names: names, fixed: true)
    }
}

public struct ClassListError: Error, Equatable, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
