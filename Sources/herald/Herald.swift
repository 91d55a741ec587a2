import ArgumentParser

/// The `herald` command: a thin layer over the library modules.
@main
struct Herald: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "ZooKeeper-backed coordination sidecar for Mesos clusters (Mantl layout).",
        discussion: """
            Manages the Mesos chroot in ZooKeeper, runs a quorum-aware leader election in Mesos' own \
            znode format, and publishes the leader to local consumers.
            """,
        version: HeraldVersion.string,
        subcommands: []
    )
}

enum HeraldVersion {
    static let string = "0.1.0"
}
