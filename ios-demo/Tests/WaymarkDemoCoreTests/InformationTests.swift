import Foundation
import Testing
import Waymark
@testable import WaymarkDemoCore

@Suite("Information and packs", .timeLimit(.minutes(1)))
@MainActor
struct InformationTests {
    let home: TemporaryDirectory

    init() throws {
        home = try TemporaryDirectory()
    }

    /// An app with the sample pack installed from its file, as another app
    /// would hand it over.
    func appWithSample() async throws -> AppModel {
        let sample = try await PublishedSample.shared()
        let app = await freshApp(home)
        let packs = try #require(app.packs)
        #expect(await packs.trust(card: sample.card))
        #expect(try #require(await packs.install(from: sample.bundle)).isSample)
        return app
    }

    @Test func theSamplePackInstallsFromAFileAfterTrustingItsPublisher() async throws {
        let sample = try await PublishedSample.shared()
        let app = await freshApp(home)
        let packs = try #require(app.packs)

        // Not trusted yet: refused, nothing installed.
        #expect(await packs.install(from: sample.bundle) == nil)
        #expect(packs.message != nil)
        #expect(packs.packs.isEmpty)

        #expect(await packs.trust(card: sample.card))
        let trusted = try #require(packs.justTrusted)
        #expect(packs.publishers.map(\.id) == [trusted.id])
        #expect(packs.fingerprint(of: trusted, matches: trusted.fingerprint.lowercased().replacingOccurrences(of: " ", with: "")))
        #expect(!packs.fingerprint(of: trusted, matches: String(trusted.fingerprint.dropLast()) + "Z"))

        let installed = try #require(await packs.install(from: sample.bundle))
        #expect(installed.isSample && installed.entries > 0)
        #expect(packs.packs.map(\.packId) == ["sample-mediterranean"])
        #expect(packs.message == Strings(.english)(.packInstalled, ["entries": installed.entries]) + "\n" + sampleAddedEnglish)
    }

    @Test func aCardThatIsNotOneChangesNothing() async throws {
        let app = await freshApp(home)
        let packs = try #require(app.packs)
        #expect(!(await packs.trust(pastedCard: "{\"hello\": 1}")))
        #expect(packs.message == Strings(.english)[.errorInvalidInput])
        #expect(packs.publishers.isEmpty && packs.justTrusted == nil)
    }

    @Test func anArabicSearchShowsHighlightRunsRightToLeftWithProvenance() async throws {
        let app = try await appWithSample()
        app.setLanguage(.arabic)
        let information = try #require(app.information)

        information.query = "مركز الشرطة"
        await information.searchSettled()

        let first = try #require(information.results.first, "\(information.message ?? "no hits")")
        #expect(first.language == "ar")
        #expect(first.isRightToLeft)
        let runs = Highlighting.highlightedRuns(of: first.snippet)
        #expect(!runs.isEmpty)
        #expect(runs.allSatisfy { run in run.contains("مركز") || run.contains("الشرطة") || run.contains("شرطة") }, "\(runs)")
        #expect(first.provenance.isSample)
        #expect(first.provenance.line.hasPrefix("Sample NGO"))
        #expect(first.provenance.line.contains("sample-mediterranean"))
        #expect(first.provenance.line.contains("تم التحقق"))
    }

    @Test func typingAgainReplacesTheEarlierSearch() async throws {
        let app = try await appWithSample()
        let information = try #require(app.information)
        information.query = "asylum"
        information.query = "shelter"
        await information.searchSettled()
        #expect(!information.results.isEmpty)
        #expect(information.results.allSatisfy { !$0.isRightToLeft && $0.language == "en" })
        information.query = "   "
        await information.searchSettled()
        #expect(information.results.isEmpty)
    }

    @Test func readAloudUsesTheEntrysLanguageNotTheAppsLanguage() async throws {
        let app = try await appWithSample()
        let information = try #require(app.information)
        information.query = "مركز الشرطة"
        await information.searchSettled()
        let row = try #require(information.results.first)
        let speaker = RecordingSpeaker()
        information.readAloud(row, with: speaker)
        #expect(speaker.spoken.map(\.language) == [row.language])
        #expect(speaker.spoken.first?.text.hasPrefix(row.title) == true)
    }

    @Test func nearbyReadsTheLocationOnceAndListsServicesWithDistance() async throws {
        let app = try await appWithSample()
        let information = try #require(app.information)
        let athens = FixedLocation(GeoPoint(lat: 37.9838, lon: 23.7275))

        await information.findNearby(location: athens, radiusKm: 5)

        #expect(athens.readings == 1)
        #expect(!information.nearby.isEmpty, "\(information.message ?? "")")
        #expect(information.nearby.allSatisfy { $0.distance.hasSuffix(" m") || $0.distance.hasSuffix(" km") })
        #expect(information.nearby.allSatisfy { $0.provenance.isSample })

        await information.findNearby(location: RefusedLocation())
        #expect(information.nearby.isEmpty)
        #expect(information.message == Strings(.english)[.locationUnavailable])
    }

    @Test func countryRoutesAndAlerts() async throws {
        let app = try await appWithSample()
        let information = try #require(app.information)

        await information.showCountry("gr")
        let greece = try #require(information.country, "\(information.message ?? "")")
        #expect(greece.code == "GR")
        #expect(greece.emergency.contains { $0.number == "112" && $0.url?.absoluteString == "tel:112" })

        await information.findRoutes(from: "Athens")
        #expect(!information.routes.isEmpty)
        #expect(information.routes.first?.steps.contains { $0.contains("→") } == true)

        await information.loadAlerts()
        #expect(!information.alerts.isEmpty)
        let ranks = information.alerts.map(\.severity.rank)
        #expect(ranks == ranks.sorted(by: >), "most severe first")
    }

    @Test func aPackIsSharedAsAFileAnotherPhoneInstalls() async throws {
        let sample = try await PublishedSample.shared()
        let app = try await appWithSample()
        let packs = try #require(app.packs)
        let outbox = try TemporaryDirectory()
        let pack = try #require(packs.packs.first)

        let file = try #require(await packs.share(pack, into: outbox.url))

        let otherHome = try TemporaryDirectory()
        let other = await freshApp(otherHome)
        let otherPacks = try #require(other.packs)
        #expect(await otherPacks.trust(card: sample.card))
        #expect(await otherPacks.install(from: file)?.packId == pack.packId)
    }
}
