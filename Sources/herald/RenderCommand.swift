import ArgumentParser
import Foundation
import HeraldConfig

/// `herald render`: the mesos-master / mesos-agent environment and credentials files.
struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Write the mesos-master or mesos-agent environment file and JSON credentials files.")

    @OptionGroup var options: ConfigOptions

    enum Role: String, ExpressibleByArgument, CaseIterable {
        case leader
        case follower
    }

    @Option(help: "leader (mesos-master) or follower (mesos-agent).")
    var role: Role

    @Option(help: "Directory to write the files to (created if missing).")
    var out: String?

    @Flag(help: "Print the files with secrets redacted instead of writing them.")
    var stdout = false

    func validate() throws {
        if out == nil, !stdout { throw ValidationError("give --out DIR or --stdout") }
        if out != nil, stdout { throw ValidationError("give either --out DIR or --stdout, not both") }
    }

    func run() async throws {
        let configuration = try options.load()
        let host = HostFacts.resolve(configuration)
        let directory = out.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? "/etc/mesos"
        let files: [MesosRender.File]
        do {
            files = try MesosRender.files(
                role: role == .leader ? .leader : .follower, configuration: configuration, host: host,
                directory: directory)
        } catch {
            throw HeraldExit(code: .usage, message: "render: \(error)")
        }
        if stdout {
            for file in files {
                print("# \(file.name) (mode \(String(file.mode, radix: 8)))")
                print(file.redacted, terminator: "")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for file in files {
                try AtomicFile.write(file.contents, to: "\(directory)/\(file.name)", mode: file.mode)
                print("wrote \(directory)/\(file.name) (mode \(String(file.mode, radix: 8)))")
            }
        } catch {
            throw HeraldExit(code: .failure, message: "render: \(error)")
        }
    }
}
