/// Whether bytes are well-formed UTF-8 (RFC 3629, Unicode Table 3-7: no overlong forms, no
/// surrogates, nothing past U+10FFFF), checked in place. Every text message a client sends is
/// checked (RFC 6455 §8.1 closes with 1007 otherwise); building a `String` for that allocated a
/// copy of each message only to drop it.
enum UTF8Validation {
    static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        if let valid = bytes.withContiguousStorageIfAvailable({ isValid(buffer: $0) }) { return valid }
        return Array(bytes).withUnsafeBufferPointer { isValid(buffer: $0) }
    }

    static func isValid(buffer b: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = b.count
        var i = 0
        while i < n {
            let lead = b[i]
            if lead < 0x80 {
                i += 1
                continue
            }
            func continuation(_ offset: Int) -> Bool { i + offset < n && b[i + offset] & 0xC0 == 0x80 }
            switch lead {
            case 0xC2...0xDF:
                guard continuation(1) else { return false }
                i += 2
            case 0xE0...0xEF:
                guard i + 2 < n else { return false }
                let second = b[i + 1]
                let low: UInt8 = lead == 0xE0 ? 0xA0 : 0x80  // no overlong forms
                let high: UInt8 = lead == 0xED ? 0x9F : 0xBF  // no surrogates
                guard second >= low, second <= high, continuation(2) else { return false }
                i += 3
            case 0xF0...0xF4:
                guard i + 3 < n else { return false }
                let second = b[i + 1]
                let low: UInt8 = lead == 0xF0 ? 0x90 : 0x80  // no overlong forms
                let high: UInt8 = lead == 0xF4 ? 0x8F : 0xBF  // nothing past U+10FFFF
                guard second >= low, second <= high, continuation(2), continuation(3) else { return false }
                i += 4
            default:
                return false  // a continuation byte first, C0/C1 (overlong), F5–FF
            }
        }
        return true
    }
}
