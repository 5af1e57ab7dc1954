import Foundation
import Observation
import Waymark

/// A search result as the list shows it.
public struct SearchRow: Sendable, Identifiable, Equatable {
    /// Unique across packs.
    public let id: String
    /// `article`, `service`, `country`, `route` or `alert`.
    public let kind: String
    /// The title, in ``language``.
    public let title: String
    /// The words around the match, the matches marked.
    public let snippet: AttributedString
    /// The snippet as plain text (read aloud).
    public let plainSnippet: String
    /// The language of the entry as shown (BCP 47).
    public let language: String
    /// True when ``language`` is written right to left: the row lays out
    /// right to left whatever the app's language.
    public let isRightToLeft: Bool
    /// "Publisher · pack v3 · verified 12 days ago", SAMPLE and stale marks.
    public let provenance: ProvenanceText
}

/// A service near the person.
public struct NearbyRow: Sendable, Identifiable, Equatable {
    /// Unique among the rows of its list.
    public let id: String
    /// Its name in the person's language (else any).
    public let name: String
    /// "850 m", "1.2 km".
    public let distance: String
    /// Open now: true, false, or nil when its hours are unknown.
    public let openNow: Bool?
    /// Free of charge: true, false, or nil when unknown.
    public let free: Bool?
    /// The languages spoken there (BCP 47).
    public let languages: [String]
    /// Its phone numbers, each with a `tel:` URL.
    public let phones: [PhoneNumber]
    /// Its address, when given.
    public let address: String?
    /// Where it comes from and how old it is.
    public let provenance: ProvenanceText
}

/// A phone number to call with one tap.
public struct PhoneNumber: Sendable, Equatable, Hashable {
    /// What the number is for (police, ambulance…), or empty.
    public let label: String
    /// The number as written.
    public let number: String
    /// `tel:` with the digits (and a leading +) only; nil if none.
    public let url: URL?

    public init(label: String, number: String) {
        self.label = label
        self.number = number
        let digits = number.filter { $0.isASCII && ($0.isNumber || $0 == "+") }
        url = digits.isEmpty ? nil : URL(string: "tel:\(digits)")
    }
}

/// An alert in force.
public struct AlertRow: Sendable, Identifiable, Equatable {
    /// Unique among the rows of its list.
    public let id: String
    /// How serious.
    public let severity: Severity
    /// In the person's language when the publisher wrote one.
    public let title: String
    /// What to know or do.
    public let body: String
    /// Where it comes from and how old it is.
    public let provenance: ProvenanceText
}

/// A route's steps.
public struct RouteRow: Sendable, Identifiable, Equatable {
    /// Unique among the rows of its list.
    public let id: String
    /// The name, in the person's language when there is one.
    public let name: String
    /// "Athens → Thessaloniki (bus)", risks and notes below each.
    public let steps: [String]
    /// Where it comes from and how old it is.
    public let provenance: ProvenanceText
}

/// A country's profile.
public struct CountryPage: Sendable, Equatable {
    /// ISO 3166-1 alpha-2.
    public let code: String
    /// The name, in the person's language when there is one.
    public let name: String
    /// Emergency numbers, each one tap to call.
    public let emergency: [PhoneNumber]
    /// How asylum works there, if the publisher says.
    public let asylum: String?
    /// The person's rights there, if the publisher says.
    public let rights: String?
    /// Where it comes from and how old it is.
    public let provenance: ProvenanceText
}

/// The information screens: search as you type over the installed packs,
/// an entry read aloud in its own language, a country's profile, services
/// nearby (the location read once, never kept), routes and alerts.
@MainActor @Observable
public final class InformationModel {
    /// The search field. Setting it searches after a short pause
    /// (``DemoEnvironment/searchDebounce``); a newer text cancels the
    /// older search.
    public var query = "" {
        didSet { if query != oldValue { scheduleSearch() } }
    }
    /// The hits for ``query``, best first.
    public private(set) var results: [SearchRow] = []
    /// "Showing results for …" when the core corrected a typo.
    public private(set) var correction: String?
    /// The services found by the last ``findNearby(category:openNow:freeOnly:)``.
    public private(set) var nearby: [NearbyRow] = []
    /// The alerts in force.
    public private(set) var alerts: [AlertRow] = []
    /// The routes found by the last ``findRoutes(from:)``.
    public private(set) var routes: [RouteRow] = []
    /// The country shown.
    public private(set) var country: CountryPage?
    /// The message for the last failure, in the person's language.
    public private(set) var message: String?

    private let store: ContentStore
    private let environment: DemoEnvironment
    private let strings: @MainActor () -> Strings
    private var searching: Task<Void, Never>?

    public init(store: ContentStore, environment: DemoEnvironment, strings: @escaping @MainActor () -> Strings) {
        self.store = store
        self.environment = environment
        self.strings = strings
    }

    private var languages: [String] { strings().language.contentLanguages }

    /// Waits until the search for the current ``query`` has finished.
    public func searchSettled() async {
        await searching?.value
    }

    /// Searches now, without the pause.
    public func searchNow() async {
        searching?.cancel()
        await runSearch(query)
    }

    private func scheduleSearch() {
        searching?.cancel()
        let text = query
        let pause = environment.searchDebounce
        searching = Task { [weak self] in
            do { try await Task.sleep(for: pause) } catch { return }
            await self?.runSearch(text)
        }
    }

    private func runSearch(_ text: String) async {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            results = []
            correction = nil
            return
        }
        do {
            let found = try await store.search(trimmed, language: strings().language.tag, limit: 30)
            // A newer text was typed meanwhile: its search shows instead.
            guard !Task.isCancelled, text == query else { return }
            let strings = strings()
            results = found.hits.map { hit in
                SearchRow(
                    id: "\(hit.provenance.publisher)/\(hit.provenance.pack)/\(hit.entryId)",
                    kind: hit.kind, title: hit.title,
                    snippet: Highlighting.attributed(hit.snippet, highlights: hit.highlights),
                    plainSnippet: hit.snippet, language: hit.language,
                    isRightToLeft: AppLanguage.isRightToLeft(tag: hit.language),
                    provenance: ProvenanceText(hit.provenance, strings: strings))
            }
            correction = found.corrections.isEmpty
                ? nil
                : strings(.showingResultsFor, ["text": found.corrections.map(\.used).joined(separator: " ")])
            message = nil
        } catch {
            guard !Task.isCancelled else { return }
            message = UserMessage.text(for: error, strings: strings())
        }
    }

    /// Reads an entry aloud in the entry's own language (not the app's).
    public func readAloud(_ row: SearchRow, with speaker: any Speaker) {
        speaker.speak("\(row.title). \(row.plainSnippet)", language: row.language)
    }

    /// Services within `radiusKm` of where the phone is now. The location
    /// is read once from `location`, used for this one query, and dropped:
    /// never stored, logged or sent.
    public func findNearby(
        location: any LocationSource, radiusKm: Double = 5, category: String? = nil, openNow: Bool = false,
        freeOnly: Bool = false, speaks: String? = nil
    ) async {
        do {
            let point = try await location.currentLocation()
            let found = try await store.nearby(request: NearbyRequest(
                point: point, radiusKm: radiusKm, category: category, openNow: openNow, speaks: speaks,
                freeOnly: freeOnly, language: strings().language.tag, limit: 50))
            let strings = strings()
            nearby = found.map { item in
                NearbyRow(
                    id: "\(item.provenance.publisher)/\(item.provenance.pack)/\(item.service.entryId)",
                    name: item.name, distance: Units.distance(kilometres: item.distanceKm, strings: strings),
                    openNow: item.openNow, free: item.service.free, languages: item.service.languages,
                    phones: item.service.phones.map {
                        PhoneNumber(label: $0.description.inLanguage(languages) ?? "", number: $0.number)
                    },
                    address: item.service.address, provenance: ProvenanceText(item.provenance, strings: strings))
            }
            message = found.isEmpty ? strings(.nothingNearby) : nil
        } catch {
            nearby = []
            message = error is WaymarkError
                ? UserMessage.text(for: error, strings: strings())
                : strings()(.locationUnavailable)
        }
    }

    /// The profile of country `code` (ISO 3166-1 alpha-2).
    public func showCountry(_ code: String) async {
        do {
            guard let profile = try await store.country(code: code.uppercased()).first else {
                country = nil
                message = strings()(.noInformation)
                return
            }
            let strings = strings()
            country = CountryPage(
                code: profile.code, name: profile.name.inLanguage(languages) ?? profile.code,
                emergency: profile.emergency.map { PhoneNumber(label: $0.service, number: $0.number) },
                asylum: profile.asylum.inLanguage(languages), rights: profile.rights.inLanguage(languages),
                provenance: ProvenanceText(profile.provenance, strings: strings))
            message = nil
        } catch {
            message = UserMessage.text(for: error, strings: strings())
        }
    }

    /// Routes through `place` (a town's name in any language).
    public func findRoutes(from place: String) async {
        do {
            let strings = strings()
            routes = try await store.routes(place: place).map { route in
                RouteRow(
                    id: "\(route.provenance.publisher)/\(route.provenance.pack)/\(route.entryId)",
                    name: route.name.inLanguage(languages) ?? route.entryId,
                    steps: route.segments.map { segment in
                        let from = segment.from.name.inLanguage(languages) ?? ""
                        let to = segment.to.name.inLanguage(languages) ?? ""
                        var step = AppLanguage.isRightToLeft(tag: strings.language.tag) ? "\(from) ← \(to)" : "\(from) → \(to)"
                        if let mode = segment.mode { step += " (\(mode))" }
                        if let risks = segment.risks.inLanguage(languages) { step += "\n⚠ \(risks)" }
                        return step
                    },
                    provenance: ProvenanceText(route.provenance, strings: strings))
            }
            message = routes.isEmpty ? strings(.noInformation) : nil
        } catch {
            message = UserMessage.text(for: error, strings: strings())
        }
    }

    /// The alerts in force in `countryCode` (all when nil), most severe
    /// first.
    public func loadAlerts(countryCode: String? = nil) async {
        do {
            let strings = strings()
            alerts = try await store.alerts(countryCode: countryCode, point: nil)
                .sorted { $0.severity.rank > $1.severity.rank }
                .map { alert in
                    AlertRow(
                        id: "\(alert.provenance.publisher)/\(alert.provenance.pack)/\(alert.entryId)",
                        severity: alert.severity, title: alert.title.inLanguage(languages) ?? "",
                        body: alert.body.inLanguage(languages) ?? "",
                        provenance: ProvenanceText(alert.provenance, strings: strings))
                }
            message = nil
        } catch {
            message = UserMessage.text(for: error, strings: strings())
        }
    }
}

extension Severity {
    /// Higher is more severe.
    public var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .danger: 2
        }
    }

    /// The severity in words.
    public func name(_ strings: Strings) -> String {
        switch self {
        case .info: strings(.severityInfo)
        case .warning: strings(.severityWarning)
        case .danger: strings(.severityDanger)
        }
    }
}
