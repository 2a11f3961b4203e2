import DojoDomain
import Testing

@Suite("Legacy values")
struct LegacyValuesTests {
    @Test("timestamps as Prisma leaves them: milliseconds, seconds, Postgres text, ISO 8601 with a zone; anything else is nil")
    func timestamps() {
        let ten = Int64(1_717_236_000_000)  // 2024-06-01 10:00:00 UTC
        let cases: [(String?, Int64?)] = [
            ("1717236000123", ten + 123), ("1717236000", ten), ("2024-06-01 10:00:00", ten), ("2024-06-01 10:00:00.5", ten + 500),
            ("2024-06-01 10:00:00.123", ten + 123), ("2024-06-01T10:00:00.123Z", ten + 123), ("2024-06-01T12:00:00+02:00", ten),
            ("2024-06-01T09:30:00-0030", ten), ("2024-06-01 10:00:00.1234567", ten + 123), ("2024-02-29 00:00:00", 1_709_164_800_000),
            ("1970-01-01 00:00:00", 0),
            (nil, nil), ("", nil), ("yesterday", nil), ("2024-13-01 00:00:00", nil), ("2024-06-01", nil), ("2024-06-01 10:00:00.", nil),
            ("2024-06-01 10:00:00 UTC", nil), ("99999999999999999999", nil), ("9999999999999", nil), ("2024-06-01T10:00:00+2", nil),
        ]
        for (text, expected) in cases {
            #expect(LegacyValues.timestamp(text)?.millisecondsSince1970 == expected, "\(text ?? "nil")")
        }
    }

    @Test("booleans, whole numbers, finite numbers and the seed's enums, exactly")
    func scalars() {
        #expect(LegacyValues.bool("true") == true && LegacyValues.bool("t") == true && LegacyValues.bool("1") == true)
        #expect(LegacyValues.bool("false") == false && LegacyValues.bool("0") == false && LegacyValues.bool("yes") == nil)
        #expect(LegacyValues.int("3") == 3 && LegacyValues.int("3.0") == 3 && LegacyValues.int("3.5") == nil && LegacyValues.int("x") == nil)
        #expect(LegacyValues.double("51.5") == 51.5 && LegacyValues.double("nan") == nil && LegacyValues.double("inf") == nil)
        #expect(LegacyValues.enumeration("VENUE_ADMIN", as: UserRole.self) == .venueAdmin)
        #expect(LegacyValues.enumeration("venue_admin", as: UserRole.self) == nil && LegacyValues.enumeration(nil, as: UserRole.self) == nil)
    }

    @Test("account names: trimmed and lowercased; what a sign-up refuses is nil")
    func accountNames() {
        #expect(AccountNames.email("  Ann@Example.COM ") == "ann@example.com")
        #expect(AccountNames.email("ann@example") == nil && AccountNames.email("a b@example.com") == nil)
        #expect(AccountNames.username(" Player_1 ") == "player_1" && AccountNames.username("x") == nil && AccountNames.username("émile") == nil)
    }
}
