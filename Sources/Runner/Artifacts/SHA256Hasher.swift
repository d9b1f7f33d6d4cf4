import CSHA256

/// Incremental SHA-256 (OpenSSL's, through CSHA256): one owner of the C context.
final class SHA256Hasher {
    private let context: OpaquePointer

    init() {
        // Out of memory for a few hundred bytes: nothing sensible is left to do.
        guard let context = gitci_sha256_new() else { fatalError("gitci: cannot allocate a SHA-256 context") }
        self.context = context
    }

    deinit { gitci_sha256_free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        _ = gitci_sha256_update(context, base, bytes.count)
    }

    /// The digest as 64 lowercase hex digits.
    func finalize() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        _ = digest.withUnsafeMutableBufferPointer { gitci_sha256_final(context, $0.baseAddress) }
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in digest {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
