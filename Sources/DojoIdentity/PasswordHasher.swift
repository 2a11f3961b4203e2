import CSodium
import NIOCore
import NIOPosix

/// Argon2id password hashes through libsodium (`crypto_pwhash_str`, interactive limits: 2 passes,
/// 64 MiB), computed on threads of their own: a hash takes tens of milliseconds of CPU and must not
/// block the server's event loops or Swift's cooperative threads.
public final class PasswordHasher: Sendable {
    private let pool: NIOThreadPool

    public init(threads: Int = 2) {
        precondition(sodium_init() >= 0, "libsodium failed to initialise")
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    deinit { pool.shutdownGracefully { _ in } }

    /// The encoded hash (`$argon2id$v=19$m=65536,t=2,p=1$…`), salt included.
    public func hash(_ password: String) async throws -> String {
        try await pool.runIfActive {
            var out = [CChar](repeating: 0, count: Int(crypto_pwhash_strbytes()))
            let bytes = Array(password.utf8) + [0]  // NUL-terminated, so never an empty buffer; the length excludes it
            let status = bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    crypto_pwhash_str(
                        &out,
                        chars.baseAddress!,
                        UInt64(chars.count - 1),
                        UInt64(crypto_pwhash_opslimit_interactive()),
                        Int(crypto_pwhash_memlimit_interactive())
                    )
                }
            }
            guard status == 0 else { throw PasswordHashError() }
            // The hash is NUL-terminated ASCII in a fixed-size buffer.
            let length = out.firstIndex(of: 0) ?? out.count
            return String(decoding: out[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Whether `password` matches `hash` (libsodium compares in constant time).
    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await pool.runIfActive {
            let bytes = Array(password.utf8) + [0]  // NUL-terminated, so never an empty buffer; the length excludes it
            return bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    crypto_pwhash_str_verify(hash, chars.baseAddress!, UInt64(chars.count - 1)) == 0
                }
            }
        }
    }

    public struct PasswordHashError: Error {}
}
