import Foundation

/// Reading the legacy platform's values, which arrive as text (`LegacySource` reads every column
/// as text): Prisma's timestamps (Postgres `TIMESTAMP(3)` text, or SQLite's milliseconds since
/// 1970, or `CURRENT_TIMESTAMP` text), booleans, numbers and the seed's enums. Pure; every reader
/// answers nil for what it cannot read, and the import reports the row as dirty.
public enum LegacyValues {
    /// A timestamp: `1717236000123` (milliseconds; ten digits or fewer: seconds), or
    /// `2024-06-01 10:00:00[.123]` / `2024-06-01T10:00:00[.123][Z|+00[:00]]` (UTC).
    public static func timestamp(_ text: String?) -> Timestamp? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int64(text) {
            let milliseconds = text.utf8.count <= 10 ? number * 1_000 : number
            return (0...4_102_444_800_000).contains(milliseconds) ? Timestamp(millisecondsSince1970: milliseconds) : nil
        }
        return calendarTime(text)
    }

    /// `true`/`false`, `t`/`f` (Postgres), `1`/`0` (SQLite).
    public static func bool(_ text: String?) -> Bool? {
        switch text?.lowercased() {
        case "true", "t", "1": true
        case "false", "f", "0": false
        default: nil
        }
    }

    /// A whole number (SQLite may give `3.0` for an integer column).
    public static func int(_ text: String?) -> Int? {
        guard let text else { return nil }
        if let value = Int(text) { return value }
        guard let value = Double(text), value.rounded() == value, abs(value) < 1e15 else { return nil }
        return Int(value)
    }

    /// A finite number.
    public static func double(_ text: String?) -> Double? {
        guard let text, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// A case of `E` by its raw value, exactly (the seed's enums are upper case).
    public static func enumeration<E: RawRepresentable>(_ text: String?, as _: E.Type) -> E? where E.RawValue == String {
        text.flatMap(E.init(rawValue:))
    }

    /// `YYYY-MM-DD[ T]HH:MM:SS[.fraction][Z|±HH[:MM]]`, read as UTC unless an offset says otherwise.
    static func calendarTime(_ text: String) -> Timestamp? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 19, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x20 || bytes[10] == 0x54, bytes[13] == 0x3A, bytes[16] == 0x3A,
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var milliseconds = 0
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                if digits < 3 { milliseconds = milliseconds * 10 + Int(bytes[index] - 0x30) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            if digits < 3 { for _ in digits..<3 { milliseconds *= 10 } }
        }
        var offsetMinutes = 0
        if index < bytes.count {
            switch bytes[index] {
            case 0x5A:
                index += 1
            case 0x2B, 0x2D:
                let sign = bytes[index] == 0x2D ? -1 : 1
                guard let hours = number((index + 1)..<(index + 3)) else { return nil }
                index += 3
                var minutes = 0
                if index < bytes.count, bytes[index] == 0x3A { index += 1 }
                if index + 2 <= bytes.count, let value = number(index..<(index + 2)) {
                    minutes = value
                    index += 2
                }
                offsetMinutes = sign * (hours * 60 + minutes)
            default:
                return nil
            }
        }
        guard index == bytes.count else { return nil }
        // Days from the civil date (Howard Hinnant's algorithm), then UTC milliseconds.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = Int64(era * 146_097 + dayOfEra - 719_468)
        let seconds = days * 86_400 + Int64(hour * 3_600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        return Timestamp(millisecondsSince1970: seconds * 1_000 + Int64(milliseconds))
    }
}
