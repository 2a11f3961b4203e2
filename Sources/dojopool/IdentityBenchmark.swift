import CSodium
import Crypto
import DojoDomain
import DojoIdentity
import DojoStorage
import Foundation

/// The cost of identity on this machine (`dojopool bench-auth`): Argon2id hashes and verifications
/// per second on one thread, EdDSA access-token signatures and verifications per second on one
/// task and on `concurrency` tasks, and device-signature checks per second.
public enum IdentityBenchmark {
    public struct Result: Codable, Sendable {
        public var operation: String
        public var tasks: Int
        public var count: Int
        public var seconds: Double
        public var perSecond: Double
        public var microsecondsEach: Double
    }

    public static func run(seconds: Double, concurrency: Int) async throws -> [Result] {
        var results: [Result] = []
        let hasher = PasswordHasher(threads: 1)
        let hash = try await hasher.hash("correct horse battery")
        results.append(try await measure("argon2id_hash", tasks: 1, seconds: seconds) { _ = try await hasher.hash("correct horse battery") })
        results.append(
            try await measure("argon2id_verify", tasks: 1, seconds: seconds) { _ = try await hasher.verify("correct horse battery", hash: hash) }
        )

        let tokens = try await AccessTokens(file: SigningKeyFile.generate(), issuer: "bench", audience: "bench", lifetime: 900)
        let token = try await tokens.issue(userID: "u1", role: .user).token
        results.append(try await measure("eddsa_token_sign", tasks: 1, seconds: seconds) { _ = try await tokens.issue(userID: "u1", role: .user) })
        for tasks in Set([1, concurrency]).sorted() {
            results.append(
                try await measure("eddsa_token_verify_full", tasks: tasks, seconds: seconds) { _ = try await tokens.verifyUncached(token) }
            )
        }
        for tasks in Set([1, concurrency]).sorted() {
            results.append(try await measure("token_verify_repeat_cached", tasks: tasks, seconds: seconds) { _ = try await tokens.verify(token) })
        }

        let key = Curve25519.Signing.PrivateKey()
        let nonce = "bench-nonce-0123456789"
        let signature = try key.signature(for: Data((DeviceChallenges.context + nonce).utf8))
        let publicKey = key.publicKey.rawRepresentation
        results.append(
            try await measure("device_signature_verify", tasks: 1, seconds: seconds) {
                guard DeviceChallenges.verify(signature: signature, nonce: nonce, publicKey: publicKey) else { throw CancellationError() }
            }
        )
        return results
    }

    private static func measure(
        _ name: String,
        tasks: Int,
        seconds: Double,
        _ body: @escaping @Sendable () async throws -> Void
    ) async throws -> Result {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    var done = 0
                    while clock.now < deadline {
                        try await body()
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = clock.now - start
        let secondsTaken = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Result(
            operation: name,
            tasks: tasks,
            count: count,
            seconds: secondsTaken,
            perSecond: Double(count) / secondsTaken,
            microsecondsEach: secondsTaken * 1e6 * Double(tasks) / Double(max(count, 1))
        )
    }
}
