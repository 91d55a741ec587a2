public import MesosLayout
public import ZooKeeper

extension HeraldConfiguration {
    /// The digest credentials for the chroot: `herald_zk_user` with `herald_zk_secret`, when
    /// both are set.
    public var zooKeeperCredentials: ZooKeeperConfiguration.DigestCredentials? {
        .given(user: heraldZkUser, secret: heraldZkSecret)
    }

    /// The ensemble and the chroot as a `zk://` URL: `mesos_zk_hosts`, else `mesos_zk_dns` at
    /// `mesos_zk_port` (the C client resolves every A record of a name itself), with the digest
    /// credentials when `herald_zk_user`/`herald_zk_secret` are set.
    public func zooKeeperURL() throws(ZooKeeperURLError) -> ZooKeeperURL {
        let hosts = mesosZkHosts ?? ["\(mesosZkDns):\(mesosZkPort)"]
        let parsed = try ZooKeeperURL(parsing: "zk://" + hosts.joined(separator: ",") + basePath)
        let credentials = zooKeeperCredentials.map { ZooKeeperURL.Credentials(user: $0.user, password: $0.secret) }
        return try ZooKeeperURL(hosts: parsed.hosts, path: parsed.path, credentials: credentials)
    }
}
