import ArgumentParser
import DojoAPI
import DojoServer

/// `dojopool openapi`: the REST contract, the document `GET /v1/openapi.json` serves
/// (docs/openapi.json is its copy in the repo).
struct OpenAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "openapi", abstract: "Print the OpenAPI 3.1 document of the REST API.")

    func run() async throws {
        print(String(decoding: OpenAPIDocument.json, as: UTF8.self), terminator: "")
    }
}
