import Foundation
import IntakeCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Keeps destinations (webhooks, Open311 servers) from reaching inside the network: a URL whose
/// host is, or resolves to, a loopback, private, link-local or cloud-metadata address is refused
/// when the destination is saved and again before every delivery (a name can resolve elsewhere
/// later), unless `DESTINATIONS_ALLOW_PRIVATE` is set for local testing.
public struct DestinationAddressGuard: Sendable {
    public let allowPrivate: Bool

    public init(allowPrivate: Bool) {
        self.allowPrivate = allowPrivate
    }

    /// When the destination is saved: why `url` may not be used, or nil. A name that does not
    /// resolve yet is accepted (it is checked again at every delivery).
    public func problemOnSave(_ url: String) async -> String? {
        guard !allowPrivate, let host = Self.host(url) else { return nil }
        guard let addresses = await Self.resolve(host) else { return nil }
        return Self.refusal(host, addresses)
    }

    /// Before a delivery: why not to connect, or nil. A name that does not resolve is refused.
    public func problemOnConnect(_ url: String) async -> String? {
        guard !allowPrivate else { return nil }
        guard let host = Self.host(url) else { return "the URL has no host" }
        guard let addresses = await Self.resolve(host) else { return "\(host) does not resolve" }
        return Self.refusal(host, addresses)
    }

    static func refusal(_ host: String, _ addresses: [Address]) -> String? {
        if addresses.isEmpty { return "\(host) does not resolve" }
        guard addresses.allSatisfy(\.isPublic) else {
            return "\(host) is, or resolves to, a loopback, private, link-local or metadata address"
        }
        return nil
    }

    static func host(_ url: String) -> String? {
        guard let host = URL(string: url)?.host, !host.isEmpty else { return nil }
        // URL keeps the brackets of an IPv6 literal.
        return host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    enum Address: Sendable {
        case v4(UInt32)
        case v6([UInt8])

        var isPublic: Bool {
            switch self {
            case .v4(let address): NetworkAddress.isPublic(v4: address)
            case .v6(let bytes): NetworkAddress.isPublic(v6: bytes)
            }
        }
    }

    /// Every address `host` resolves to (numeric forms included, as the connection would read
    /// them), or nil when it does not resolve. getaddrinfo blocks, so it runs on NIO's thread pool.
    static func resolve(_ host: String) async -> [Address]? {
        try? await NIOThreadPool.singleton.runIfActive { () -> [Address]? in
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return nil }
            defer { freeaddrinfo(first) }
            var addresses: [Address] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let info = cursor {
                if info.pointee.ai_family == AF_INET, let raw = info.pointee.ai_addr {
                    let address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
                    addresses.append(.v4(address))
                } else if info.pointee.ai_family == AF_INET6, let raw = info.pointee.ai_addr {
                    let bytes = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                    }
                    addresses.append(.v6(bytes))
                }
                cursor = info.pointee.ai_next
            }
            return addresses
        }
    }
}
