import DojoStorage
import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// `GET /healthz`, `GET /readyz`, `GET /metrics` and `GET /v1`.
struct SystemRoutes: Sendable {
    let readiness: Readiness
    let registry: PrometheusCollectorRegistry
    let backend: StorageBackend
    let redisConfigured: Bool

    func register(on router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in
            Response.json(.ok, ["status": "ok"])
        }
        router.get("/readyz") { _, context in
            let checks = await readiness.run()
            let body = Dictionary(uniqueKeysWithValues: checks.map { ($0.name, ["ok": $0.ok, "detail": $0.detail] as [String: any Sendable]) })
            guard let failed = checks.first(where: { !$0.ok }) else {
                return Response.json(.ok, ["status": "ready", "checks": body])
            }
            return ErrorEnvelopeMiddleware.response(
                for: APIError(.serviceUnavailable, code: "not_ready", message: "\(failed.name): \(failed.detail)"),
                requestID: context.requestID,
                extra: ["checks": body]
            )
        }
        router.get("/metrics") { _, _ in
            var buffer = [UInt8]()
            buffer.reserveCapacity(16 * 1024)
            registry.emit(into: &buffer)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        // The REST contract (docs/openapi.json is the same document).
        router.get("/v1/openapi.json") { _, _ in
            Response.json(.ok, bytes: OpenAPI.json)
        }
        router.get("/v1") { _, _ in
            Response.json(
                .ok,
                [
                    "name": "dojopool",
                    "version": DojoPoolVersion.current,
                    "storage": backend.rawValue,
                    "cluster": redisConfigured ? "redis" : "in-process",
                ]
            )
        }
    }
}
