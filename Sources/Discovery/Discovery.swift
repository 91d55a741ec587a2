/// Publishing the election's view to local consumers: the socket protocol, the server, the
/// client library and the Consul-style DNS mappings.
public enum Discovery {}
