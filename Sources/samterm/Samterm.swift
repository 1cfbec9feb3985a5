import ArgumentParser

struct Samterm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samterm",
        abstract: "Cut objects out of images with Segment Anything, from a terminal.",
        subcommands: [Edit.self, Inspect.self, Segment.self, Auto.self, Embed.self, Bench.self, Export.self, Import.self, IndexObjects.self, Similar.self, Describe.self, Track.self],
        defaultSubcommand: Edit.self
    )
}

@main
enum Entry {
    static func main() {
        Samterm.main()
    }
}
