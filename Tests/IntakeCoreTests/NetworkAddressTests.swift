import IntakeCore
import Testing

@Suite struct NetworkAddressTests {
    static func v4(_ text: String) -> UInt32 {
        text.split(separator: ".").reduce(UInt32(0)) { $0 << 8 | UInt32($1)! }
    }

    @Test(arguments: [
        "127.0.0.1", "127.255.255.254", "10.0.0.5", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.2.10",
    ])
    func insideAddressesAreRefused(address: String) {
        #expect(!NetworkAddress.isPublic(v4: Self.v4(address)), "\(address)")
    }

    @Test(arguments: ["8.8.8.8", "151.101.0.81", "172.32.0.1", "172.15.255.255", "100.128.0.1", "192.169.0.1", "11.0.0.1"])
    func publicAddressesAreAllowed(address: String) {
        #expect(NetworkAddress.isPublic(v4: Self.v4(address)), "\(address)")
    }

    @Test func ipv6FormsAreJudgedAsTheyReach() {
        func v6(_ bytes: [UInt8]) -> Bool { NetworkAddress.isPublic(v6: bytes) }
        let loopback = [UInt8](repeating: 0, count: 15) + [1]
        #expect(!v6(loopback))
        #expect(!v6([UInt8](repeating: 0, count: 16)))
        #expect(!v6([0xFE, 0x80] + [UInt8](repeating: 0, count: 13) + [1]), "link-local")
        #expect(!v6([0xFD, 0x00] + [UInt8](repeating: 0, count: 13) + [1]), "unique local")
        #expect(!v6([0xFF, 0x02] + [UInt8](repeating: 0, count: 13) + [1]), "multicast")
        #expect(!v6([UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 169, 254, 169, 254]), "IPv4-mapped metadata address")
        #expect(!v6([0x00, 0x64, 0xFF, 0x9B] + [UInt8](repeating: 0, count: 8) + [10, 0, 0, 1]), "NAT64 of a private address")
        #expect(v6([UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 8, 8, 8, 8]), "IPv4-mapped public address")
        #expect(v6([0x2A, 0x00, 0x14, 0x50] + [UInt8](repeating: 0, count: 11) + [1]), "a public IPv6 address")
    }
}
