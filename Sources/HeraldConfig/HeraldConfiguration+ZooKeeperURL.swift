public import MesosLayout

extension HeraldConfiguration {
    /// The ensemble and the chroot as a `zk://` URL: `mesos_zk_hosts`, else `mesos_zk_dns` at
    /// `mesos_zk_port` (the C client resolves every A record of a name itself), with the digest
    /// credentials when `herald_zk_user`/`herald_zk_secret` are set.
    public func zooKeeperURL() throws(ZooKeeperURLError) -> ZooKeeperURL {
        let hosts = mesosZkHosts ?? ["\(mesosZkDns):\(mesosZkPort)"]
        let parsed = try ZooKeeperURL(parsing: "zk://" + hosts.joined(separator: ",") + basePath)
        var credentials: ZooKeeperURL.Credentials?
        if let user = heraldZkUser, let secret = heraldZkSecret {
            credentials = .init(user: user, password: secret)
        }
        return try ZooKeeperURL(hosts: parsed.hosts, path: parsed.path, credentials: credentials)
    }
}
