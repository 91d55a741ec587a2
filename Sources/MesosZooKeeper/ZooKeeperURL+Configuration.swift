public import MesosLayout
public import ZooKeeper

extension ZooKeeperURL {
    /// The credentials in the form the ZooKeeper client module takes them.
    public var digestCredentials: ZooKeeperConfiguration.DigestCredentials? {
        credentials.map { ZooKeeperConfiguration.DigestCredentials(user: $0.user, secret: $0.password) }
    }

    /// A client configuration for this ensemble: the `connectString` (no chroot: Herald addresses
    /// full paths under `path`) and the digest credentials.
    public func configuration(sessionTimeout: Duration = .seconds(10)) -> ZooKeeperConfiguration {
        ZooKeeperConfiguration(servers: connectString, sessionTimeout: sessionTimeout, credentials: digestCredentials)
    }
}
