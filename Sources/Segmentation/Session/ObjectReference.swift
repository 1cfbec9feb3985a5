// `IMAGE#N` on a command line: object N (its id, as the editor's object list numbers it) of the
// image's session. A path may itself hold '#': the number follows the last one.
public struct ObjectReference: Equatable, Sendable {
    public var imagePath: String
    public var number: Int

    public init(imagePath: String, number: Int) {
        self.imagePath = imagePath
        self.number = number
    }

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let argument: String
        public var description: String { "\(argument): expected IMAGE#N (N: the object's number in the editor, 1 or more)" }
    }

    public static func parse(_ argument: String) throws -> ObjectReference {
        guard let mark = argument.lastIndex(of: "#") else { throw ParseError(argument: argument) }
        let path = String(argument[..<mark]), digits = argument[argument.index(after: mark)...]
        guard !path.isEmpty, !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits), number >= 1 else {
            throw ParseError(argument: argument)
        }
        return ObjectReference(imagePath: path, number: number)
    }
}
