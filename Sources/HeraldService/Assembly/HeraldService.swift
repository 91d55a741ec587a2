/// The long-running service: one `ServiceGroup` per `mesos_mode`, assembled from the library
/// modules (election, discovery socket, follower registration, metrics, hooks).
public enum HeraldService {}
