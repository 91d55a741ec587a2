import DNS
import Discovery
import HeraldConfig
import HeraldService
import Logging
import ServiceLifecycle

extension ServeCommand {
    /// The DNS responder of `herald_dns_listen` and what it answers from.
    struct DNSResponderSetup {
        let answers: DNSAnswers
        let service: DNSResponderService
    }

    /// Binds `herald_dns_listen` (UDP and TCP) before anything else starts, so that a taken port
    /// is one line naming the key and exit 2; nil when the key is empty (off).
    static func bindDNSResponder(_ configuration: HeraldConfiguration, logger: Logger) async throws
        -> DNSResponderSetup?
    {
        guard !configuration.heraldDnsListen.isEmpty else { return nil }
        let answers = DNSAnswers(
            names: DNSNames(domain: configuration.heraldDnsDomain, service: configuration.heraldDnsService),
            ttl: UInt32(configuration.heraldDnsTtl))
        do {
            let responder = try await DNSResponder.bind(
                configuration: try DNSResponder.Configuration(listen: configuration.heraldDnsListen), logger: logger,
                zone: answers.zone)
            return DNSResponderSetup(answers: answers, service: DNSResponderService(responder: responder))
        } catch {
            throw HeraldExit(code: .usage, message: "herald_dns_listen: \(error)")
        }
    }
}

/// The bound responder as a service: it answers until graceful shutdown.
struct DNSResponderService: Service {
    let responder: DNSResponder

    func run() async throws {
        await cancelWhenGracefulShutdown { await responder.run() }
    }
}
