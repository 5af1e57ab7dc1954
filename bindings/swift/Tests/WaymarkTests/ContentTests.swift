import Foundation
import Testing
import Waymark

@Suite("Content")
struct ContentTests {
    let home: TemporaryDirectory
    let sample: PublishedSample
    let store: ContentStore

    /// A phone that trusts the sample publisher and has installed its pack
    /// offline, from the bundle file.
    init() async throws {
        home = try TemporaryDirectory()
        sample = try PublishedSample.publish()
        store = try ContentStore.open(dir: home.path("content"))
        _ = try store.trustPublisher(card: sample.card)
        _ = try await store.installPackFromFile(path: sample.bundle.path)
    }

    @Test func bundleInstallsThePackOfTheTrustedPublisher() throws {
        let publishers = try store.trustedPublishers()
        let packs = try store.packs()
        #expect(publishers.count == 1)
        #expect(packs.count == 1)
        #expect(packs.first?.publisher == publishers.first?.id)
    }

    @Test func reinstallingTheSameVersionIsRefusedAndThePackStays() async throws {
        let before = try store.packs()
        await #expect {
            _ = try await store.installPackFromFile(path: sample.bundle.path)
        } throws: { error in
            invalidInputReason(error)?.isEmpty == false
        }
        #expect(try store.packs() == before)
    }

    @Test func bundleOfAnUntrustedPublisherIsRefusedAndNothingChanges() async throws {
        let other = try ContentStore.open(dir: home.path("other"))
        await #expect(throws: WaymarkError.self) {
            _ = try await other.installPackFromFile(path: sample.bundle.path)
        }
        #expect(try other.packs().isEmpty)
    }

    @Test func arabicSearchFindsArabicEntriesWithProvenance() throws {
        let pack = try #require(try store.packs().first)
        let results = try store.search(request: SearchRequest(text: "مركز الشرطة", language: "ar", limit: 5))

        let hit = try #require(results.hits.first)
        #expect(hit.language == "ar")
        #expect(hit.provenance.publisher == pack.publisher)
        #expect(hit.provenance.pack == pack.packId)
        #expect(hit.provenance.packVersion == pack.version)
        #expect(hit.provenance.sample)
        // Highlights are UTF-16 offsets into the title or the snippet.
        let text = hit.title + hit.snippet
        #expect(!hit.highlights.isEmpty)
        for h in hit.highlights {
            #expect(h.start < h.end && Int(h.end) <= text.utf16.count)
        }
    }

    @Test func arabicSearchIgnoresDiacritics() throws {
        let plain = try store.search(request: SearchRequest(text: "مركز الشرطة", language: "ar", limit: 5))
        // The same words with short vowels (harakat) written in.
        let voweled = try store.search(request: SearchRequest(text: "مَرْكَز الشُّرْطَة", language: "ar", limit: 5))
        #expect(!plain.hits.isEmpty)
        #expect(voweled.hits.map(\.id) == plain.hits.map(\.id))
    }

    @Test func nearbyFindsServicesAroundAPointNearestFirst() throws {
        // Any located service of the pack, found from the whole globe.
        let everywhere = try store.nearby(
            request: NearbyRequest(point: GeoPoint(lat: 0, lon: 0), radiusKm: 20_000, limit: 1000)
        )
        let located = try #require(everywhere.first { $0.service.location != nil })
        let here = try #require(located.service.location)

        let near = try store.nearby(request: NearbyRequest(point: here, radiusKm: 2))
        let distances = near.map(\.distanceKm)
        #expect(near.contains { $0.service.entryId == located.service.entryId })
        #expect(distances == distances.sorted())
        #expect(distances.allSatisfy { $0 <= 2 })
        #expect(near.allSatisfy { $0.provenance.pack == located.provenance.pack })
    }

    @Test func nearbyWithANegativeRadiusIsRefused() {
        #expect {
            _ = try store.nearby(request: NearbyRequest(point: GeoPoint(lat: 37.98, lon: 23.73), radiusKm: -1))
        } throws: { error in
            invalidInputReason(error)?.isEmpty == false
        }
    }

    @Test func anInstalledPackIsSharedAsAFileAnotherPhoneInstalls() async throws {
        let pack = try #require(try store.packs().first)
        let shared = home.url.appendingPathComponent("shared.wmbundle")

        let exported = try await store.exportPack(publisher: pack.publisher, pack: pack.packId, to: shared)
        #expect((exported.pack, exported.version) == (pack.packId, pack.version))
        let written = try Data(contentsOf: shared)
        #expect(exported.bytes == UInt64(written.count))
        #expect(exported.validUntil > Date())
        await #expect(throws: WaymarkError.NotFound) {
            _ = try await store.exportPack(publisher: pack.publisher, pack: "no-such-pack", to: shared)
        }

        let friend = try WaymarkHome(directory: home.url.appendingPathComponent("friend"))
        _ = try friend.content.trustPublisher(card: sample.card)
        _ = try await friend.content.installPack(from: shared)
        #expect(try friend.content.packs().map(\.packId) == [pack.packId])
        #expect(!(try friend.content.search("مركز الشرطة", language: "ar").hits.isEmpty))
    }

    @Test func searchCorrectsATypoAndSaysSo() throws {
        // A word the pack has, then the same word missing a letter.
        let word = "asylum"
        #expect(!(try store.search(word, limit: 3).hits.isEmpty))
        var typo = word
        typo.remove(at: typo.index(typo.startIndex, offsetBy: 4))

        let results = try store.search(typo, limit: 3)

        #expect(!results.hits.isEmpty)
        #expect(results.corrections.map(\.typed) == [typo])
    }

    @Test func countryProfilesAndAlertsInForceComeWithProvenance() throws {
        let pack = try #require(try store.packs().first)
        // A country the pack has services in.
        let services = try store.nearby(
            request: NearbyRequest(point: GeoPoint(lat: 0, lon: 0), radiusKm: 20_000, limit: 1000)
        )
        let code = try #require(services.compactMap(\.service.country).first)

        let profiles = try store.country(code: code.lowercased())
        let profile = try #require(profiles.first)
        #expect(profile.code == code)
        #expect(profile.name.inLanguage(["ar"] + pack.fallback) != nil)
        #expect(profile.provenance.pack == pack.packId)

        let alerts = try store.alerts()
        let now = Date()
        #expect(!alerts.isEmpty)
        for alert in alerts {
            #expect(alert.validFrom <= now && (alert.validUntil.map { now < $0 } ?? true))
            #expect(alert.provenance.publisher == pack.publisher)
        }
        #expect(try store.alerts(countryCode: code).allSatisfy { $0.area.countries.contains(code) || $0.area.bbox != nil })
    }

    @Test func aCountryCodeThatIsNotISOIsRefused() {
        #expect { _ = try store.country(code: "Greece") } throws: { invalidInputReason($0) != nil }
    }
}
