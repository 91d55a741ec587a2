public import HeraldConfig
public import ZooKeeper

extension HeraldConfiguration {
    /// The digest credentials for the chroot: `herald_zk_user` with `herald_zk_secret`, when
    /// both are set.
    public var zooKeeperCredentials: ZooKeeperConfiguration.DigestCredentials? {
        .given(user: heraldZkUser, secret: heraldZkSecret)
    }
}
