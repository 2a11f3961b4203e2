extension Tournament.State {
    /// What clients see: the terms with the seed's field names, the players, and the bracket as a
    /// client draws it.
    public var view: View {
        let terms = terms
        let bracket = bracket
        let seedOf = Dictionary((bracket?.seeds ?? []).enumerated().map { ($1, $0 + 1) }, uniquingKeysWith: { first, _ in first })
        return View(
            id: id,
            exists: exists,
            name: terms?.name ?? "",
            venueId: terms?.venueID,
            status: status,
            format: terms?.format ?? .singleElimination,
            gameType: terms?.gameType ?? .eightBall,
            raceTo: terms?.raceTo ?? 0,
            finalRaceTo: terms?.finalRaceTo ?? terms?.raceTo ?? 0,
            maxParticipants: terms?.maxParticipants ?? 0,
            entryFee: terms?.entryFee ?? 0,
            prizeSplit: terms?.prizeSplit ?? [],
            pot: pot,
            startsAt: terms?.startsAt,
            checkInMinutes: terms?.checkInMinutes ?? 0,
            seeding: terms?.seeding ?? .rating,
            randomSeed: randomSeed.map(String.init),
            groupSize: terms?.format == .groupsThenSingleElimination ? terms?.options.groupSize : nil,
            advancePerGroup: terms?.format == .groupsThenSingleElimination ? terms?.options.advancePerGroup : nil,
            bracketReset: terms?.format == .doubleElimination ? terms?.options.bracketReset : nil,
            tables: terms?.tables ?? [],
            unavailableTables: unavailableTables,
            rewards: terms?.rewards,
            directorId: directorID,
            participants: participants.map { participant in
                ParticipantView(
                    userId: participant.userID,
                    seed: seedOf[participant.userID],
                    checkedIn: participant.checkedIn,
                    paid: participant.paid,
                    disqualified: disqualified.contains(participant.userID)
                )
            },
            bracket: bracket.map { bracketView($0) },
            standings: bracket.map { bracket in bracket.groups.indices.map { bracket.standings(group: $0) } } ?? [],
            champion: placings?.first?.first,
            placings: placings,
            prizes: prizes,
            cancelReason: cancelReason,
            createdAt: createdAt,
            startedAt: startedAt,
            endedAt: endedAt
        )
    }

    private func bracketView(_ bracket: Bracket) -> BracketView {
        let resolved = bracket.resolve()
        var next: [Int: (win: Int?, lose: Int?)] = [:]
        for slot in bracket.slots {
            for source in [slot.a, slot.b] {
                switch source {
                case .winner(let of): next[of, default: (nil, nil)].win = slot.id
                case .loser(let of): next[of, default: (nil, nil)].lose = slot.id
                case .seed, .bye, .groupPlace: break
                }
            }
        }
        let slots = bracket.slots.map { slot -> SlotView in
            let item = resolved[slot.id]
            let result = bracket.results[slot.id]
            let assignment = assignments.last { $0.slot == slot.id }
            let status: SlotView.Status =
                if result != nil { .done } else if item.winner != .pending { .bye } else if assignment?.live == true {
                    .live
                } else if item.isReady { .queued } else { .pending }
            return SlotView(
                id: slot.id,
                part: slot.part,
                group: slot.group.map { $0 + 1 },
                round: slot.round,
                playerA: item.a.player,
                playerB: item.b.player,
                sourceA: describe(slot.a),
                sourceB: describe(slot.b),
                status: status,
                matchId: assignment?.matchID,
                tableId: assignment?.live == true ? assignment?.tableID : nil,
                raceTo: assignment?.raceTo,
                scoreA: result?.scoreA ?? (assignment?.live == true ? assignment?.scoreA : nil),
                scoreB: result?.scoreB ?? (assignment?.live == true ? assignment?.scoreB : nil),
                winnerId: result == nil ? nil : item.winner.player,
                walkover: result?.walkover ?? false,
                nextWin: next[slot.id]?.win,
                nextLose: next[slot.id]?.lose
            )
        }
        var rounds: [RoundView] = []
        for slot in slots {
            if let last = rounds.last, last.part == slot.part, last.group == slot.group, last.round == slot.round {
                rounds[rounds.count - 1].slots.append(slot)
            } else {
                rounds.append(RoundView(part: slot.part, group: slot.group, round: slot.round, slots: [slot]))
            }
        }
        return BracketView(seeds: bracket.seeds, rounds: rounds)
    }

    private func describe(_ source: Bracket.Source) -> String {
        switch source {
        case .seed(let index): "seed \(index + 1)"
        case .bye: "bye"
        case .winner(let of): "winner of \(of)"
        case .loser(let of): "loser of \(of)"
        case .groupPlace(let group, let place): "group \(group + 1) place \(place)"
        }
    }

    public struct View: Sendable, Encodable, Equatable {
        public var id: String
        public var exists: Bool
        public var name: String
        public var venueId: String?
        public var status: TournamentStatus
        public var format: Bracket.Format
        public var gameType: Match.GameType
        public var raceTo: Int
        public var finalRaceTo: Int
        public var maxParticipants: Int
        public var entryFee: Int64
        public var prizeSplit: [Int]
        public var pot: Int64
        public var startsAt: Timestamp?
        public var checkInMinutes: Int
        public var seeding: Tournament.Seeding
        /// The random seeding's seed, as a decimal string (a 64-bit value).
        public var randomSeed: String?
        public var groupSize: Int?
        public var advancePerGroup: Int?
        public var bracketReset: Bool?
        public var tables: [String]
        /// Tables the venue has taken by other matches or in maintenance.
        public var unavailableTables: [String]
        public var rewards: JSONValue?
        public var directorId: String?
        public var participants: [ParticipantView]
        public var bracket: BracketView?
        /// Each group's standings (round-robin formats).
        public var standings: [[Bracket.Standing]]
        public var champion: String?
        public var placings: [[String]]?
        public var prizes: [Tournament.Prize]
        public var cancelReason: String?
        public var createdAt: Timestamp?
        public var startedAt: Timestamp?
        public var endedAt: Timestamp?
    }

    public struct ParticipantView: Sendable, Encodable, Equatable {
        public var userId: String
        /// 1 = the top seed, once started.
        public var seed: Int?
        public var checkedIn: Bool
        public var paid: Bool
        public var disqualified: Bool
    }

    public struct BracketView: Sendable, Encodable, Equatable {
        public var seeds: [String]
        public var rounds: [RoundView]
    }

    public struct RoundView: Sendable, Encodable, Equatable {
        public var part: Bracket.Part
        public var group: Int?
        public var round: Int
        public var slots: [SlotView]
    }

    public struct SlotView: Sendable, Encodable, Equatable {
        public enum Status: String, Sendable, Encodable {
            /// Its players are not both known.
            case pending
            /// Both known; waiting for a table.
            case queued
            /// Its match is on.
            case live
            case done
            /// Decided without a match (a bye, a reset not needed).
            case bye
        }

        public var id: Int
        public var part: Bracket.Part
        public var group: Int?
        public var round: Int
        public var playerA: String?
        public var playerB: String?
        public var sourceA: String
        public var sourceB: String
        public var status: Status
        public var matchId: String?
        public var tableId: String?
        public var raceTo: Int?
        public var scoreA: Int?
        public var scoreB: Int?
        public var winnerId: String?
        public var walkover: Bool
        /// The slot its winner goes to, and its loser's (double elimination).
        public var nextWin: Int?
        public var nextLose: Int?
    }
}
