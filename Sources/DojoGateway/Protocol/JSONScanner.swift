import DojoDomain

/// Validates a JSON text (RFC 8259) in one pass and finds the members of its top-level object
/// without building a tree: the gateway reads the few fields it routes on and passes nested values
/// (a command, published data, a stored event) through as the exact bytes the sender wrote.
///
/// Nesting deeper than `maximumDepth` is refused, so a hostile message cannot exhaust the stack.
struct JSONScanner {
    struct Invalid: Error, Equatable {
        var reason: String
    }

    /// A top-level member: its decoded key and the byte range of its value.
    struct Member {
        var key: String
        var value: Range<Int>
    }

    static let maximumDepth = JSONLimits.maximumDepth

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The members of the top-level object, or `Invalid` when `bytes` is not one JSON object.
    static func members(of bytes: [UInt8]) throws(Invalid) -> [Member] {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "{") else { throw Invalid(reason: "a message is a JSON object") }
        var members: [Member] = []
        try scanner.object(depth: 1) { key, range in members.append(Member(key: key, value: range)) }
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw Invalid(reason: "unexpected text after the JSON object") }
        return members
    }

    /// The byte ranges of the elements of the top-level array (a Socket.IO event's arguments),
    /// or `Invalid` when `bytes` is not one JSON array.
    static func elements(of bytes: [UInt8]) throws(Invalid) -> [Range<Int>] {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "[") else { throw Invalid(reason: "expected a JSON array") }
        var elements: [Range<Int>] = []
        try scanner.array(depth: 1) { elements.append($0) }
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw Invalid(reason: "unexpected text after the JSON array") }
        return elements
    }

    /// Decodes a JSON string token (quotes included) into a String.
    static func string(_ token: ArraySlice<UInt8>) -> String? {
        var scanner = JSONScanner(Array(token))
        guard let value = try? scanner.stringToken(decode: true), scanner.index == token.count else { return nil }
        return value
    }

    /// Parses a JSON integer token.
    static func integer(_ token: ArraySlice<UInt8>) -> Int64? {
        guard !token.isEmpty, token.allSatisfy({ $0 == UInt8(ascii: "-") || ($0 >= 48 && $0 <= 57) }) else { return nil }
        return Int64(String(decoding: token, as: UTF8.self))
    }

    // MARK: Grammar

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8) throws(Invalid) {
        guard peek() == byte else { throw Invalid(reason: "expected '\(Character(UnicodeScalar(byte)))' at byte \(index)") }
        index += 1
    }

    private mutating func object(depth: Int, member: (String, Range<Int>) -> Void) throws(Invalid) {
        guard depth <= Self.maximumDepth else { throw Invalid(reason: "JSON nested deeper than \(Self.maximumDepth) levels") }
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw Invalid(reason: "expected a member name at byte \(index)") }
            let key = try stringToken(decode: true) ?? ""
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            let start = index
            try value(depth: depth)
            member(key, start..<index)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return
            default: throw Invalid(reason: "expected ',' or '}' at byte \(index)")
            }
        }
    }

    private mutating func array(depth: Int, element: (Range<Int>) -> Void = { _ in }) throws(Invalid) {
        guard depth <= Self.maximumDepth else { throw Invalid(reason: "JSON nested deeper than \(Self.maximumDepth) levels") }
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            let start = index
            try value(depth: depth)
            element(start..<index)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return
            default: throw Invalid(reason: "expected ',' or ']' at byte \(index)")
            }
        }
    }

    private mutating func value(depth: Int) throws(Invalid) {
        switch peek() {
        case UInt8(ascii: "{"): try object(depth: depth + 1) { _, _ in }
        case UInt8(ascii: "["): try array(depth: depth + 1)
        case UInt8(ascii: "\""): _ = try stringToken(decode: false)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case nil: throw Invalid(reason: "unexpected end of the message")
        case let byte? where byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")): try number()
        default: throw Invalid(reason: "unexpected character at byte \(index)")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Invalid) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Invalid(reason: "unexpected end of the message") }
        let matches = word.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw Invalid(reason: "unexpected character at byte \(index)") }
        index += count
    }

    private mutating func digits() -> Int {
        let start = index
        while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { index += 1 }
        return index - start
    }

    private mutating func number() throws(Invalid) {
        if peek() == UInt8(ascii: "-") { index += 1 }
        if peek() == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            throw Invalid(reason: "malformed number at byte \(index)")
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw Invalid(reason: "malformed number at byte \(index)") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw Invalid(reason: "malformed number at byte \(index)") }
        }
    }

    private mutating func hex4() throws(Invalid) -> UInt32 {
        guard index + 4 <= bytes.count else { throw Invalid(reason: "unexpected end of the message") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw Invalid(reason: "malformed \\u escape at byte \(index)")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// Scans a string token; decodes it when asked (member names, the fields the gateway reads).
    private mutating func stringToken(decode: Bool) throws(Invalid) -> String? {
        try expect(UInt8(ascii: "\""))
        var decoded: [UInt8] = []
        while true {
            guard index < bytes.count else { throw Invalid(reason: "unterminated string") }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return decode ? String(decoding: decoded, as: UTF8.self) : nil
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw Invalid(reason: "unterminated string") }
                let escape = bytes[index]
                index += 1
                var scalar: UInt32
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalar = UInt32(escape)
                case UInt8(ascii: "b"): scalar = 0x08
                case UInt8(ascii: "f"): scalar = 0x0C
                case UInt8(ascii: "n"): scalar = 0x0A
                case UInt8(ascii: "r"): scalar = 0x0D
                case UInt8(ascii: "t"): scalar = 0x09
                case UInt8(ascii: "u"):
                    scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw Invalid(reason: "unpaired surrogate in a \\u escape")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw Invalid(reason: "unpaired surrogate in a \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw Invalid(reason: "unpaired surrogate in a \\u escape")
                    }
                default: throw Invalid(reason: "invalid escape at byte \(index - 1)")
                }
                if decode, let unicode = Unicode.Scalar(scalar) { decoded.append(contentsOf: Array(String(Character(unicode)).utf8)) }
            case 0..<0x20:
                throw Invalid(reason: "control character in a string at byte \(index - 1)")
            default:
                if decode { decoded.append(byte) }
            }
        }
    }
}

/// The same validation for other layers (REST bodies): nil when `bytes` is one JSON object nested
/// at most 32 levels, else why not.
public func invalidJSONObjectReason(_ bytes: [UInt8]) -> String? {
    do {
        _ = try JSONScanner.members(of: bytes)
        return nil
    } catch {
        return error.reason
    }
}
