import Foundation
import Testing
import Waymark

@Suite("Content", .failsWhenStuck)
struct ContentTests {
    let home: TemporaryDirectory
    let sample: PublishedSample
    let store: ContentStore

    /// A phone that trusts the sample publisher and has installed its pack
    /// offline, from the bundle file.
    init() async throws {
        home = try TemporaryDirectory()
        sample = try await PublishedSample.publish()
        store = try await ContentStore.open(dir: home.path("content"))
        _ = try await store.trustPublisher(card: sample.card)
        _ = try await store.installPackFromFile(path: sample.bundle.path)
    }

    @Test func bundleInstallsThePackOfTheTrustedPublisher() async throws {
        let publishers = try await store.trustedPublishers()
        let packs = try await store.packs()
        #expect(publishers.count == 1)
        #expect(packs.count == 1)
        #expect(packs.first?.publisher == publishers.first?.id)
    }

    @Test func reinstallingTheSameVersionIsRefusedAndThePackStays() async throws {
        let before = try await store.packs()
        await #expect {
            _ = try await store.installPackFromFile(path: sample.bundle.path)
        } throws: { error in
            invalidInputReason(error)?.isEmpty == false
        }
        #expect(try await store.packs() == before)
    }

    @Test func bundleOfAnUntrustedPublisherIsRefusedAndNothingChanges() async throws {
        let other = try await ContentStore.open(dir: home.path("other"))
        await #expect(throws: WaymarkError.self) {
            _ = try await other.installPackFromFile(path: sample.bundle.path)
        }
        #expect(try await other.packs().isEmpty)
    }

    @Test func arabicSearchFindsArabicEntriesWithProvenance() async throws {
        let pack = try #require(try await store.packs().first)
        let results = try await store.search(request: SearchRequest(text: "مركز الشرطة", language: "ar", limit: 5))

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

    @Test func arabicSearchIgnoresDiacritics() async throws {
        let plain = try await store.search(request: SearchRequest(text: "مركز الشرطة", language: "ar", limit: 5))
        // The same words with short vowels (harakat) written in.
        let voweled = try await store.search(request: SearchRequest(text: "مَرْكَز الشُّرْطَة", language: "ar", limit: 5))
        #expect(!plain.hits.isEmpty)
        #expect(voweled.hits.map(\.id) == plain.hits.map(\.id))
    }

    @Test func nearbyFindsServicesAroundAPointNearestFirst() async throws {
        // Any located service of the pack, found from the whole globe.
        let everywhere = try await store.nearby(
            request: NearbyRequest(point: GeoPoint(lat: 0, lon: 0), radiusKm: 20_000, limit: 1000)
        )
        let located = try #require(everywhere.first { $0.service.location != nil })
        let here = try #require(located.service.location)

        let near = try await store.nearby(request: NearbyRequest(point: here, radiusKm: 2))
        let distances = near.map(\.distanceKm)
        #expect(near.contains { $0.service.entryId == located.service.entryId })
        #expect(distances == distances.sorted())
        #expect(distances.allSatisfy { $0 <= 2 })
        #expect(near.allSatisfy { $0.provenance.pack == located.provenance.pack })
    }

    @Test func nearbyWithANegativeRadiusIsRefused() async {
        await #expect {
            _ = try await store.nearby(request: NearbyRequest(point: GeoPoint(lat: 37.98, lon: 23.73), radiusKm: -1))
        } throws: { error in
            invalidInputReason(error)?.isEmpty == false
        }
    }

    @Test func anInstalledPackIsSharedAsAFileAnotherPhoneInstalls() async throws {
        let pack = try #require(try await store.packs().first)
        let shared = home.url.appendingPathComponent("shared.wmbundle")

        let exported = try await store.exportPack(publisher: pack.publisher, pack: pack.packId, to: shared)
        #expect((exported.pack, exported.version) == (pack.packId, pack.version))
        let written = try Data(contentsOf: shared)
        #expect(exported.bytes == Int64(written.count))
        #expect(exported.validUntil > Date())
        await #expect(throws: WaymarkError.notFound) {
            _ = try await store.exportPack(publisher: pack.publisher, pack: "no-such-pack", to: shared)
        }

        let friend = try await WaymarkHome(directory: home.url.appendingPathComponent("friend"))
        _ = try await friend.content.trustPublisher(card: sample.card)
        _ = try await friend.content.installPack(from: shared)
        #expect(try await friend.content.packs().map(\.packId) == [pack.packId])
        #expect(!(try await friend.content.search("مركز الشرطة", language: "ar").hits.isEmpty))
    }

    @Test func searchCorrectsATypoAndSaysSo() async throws {
        // A word the pack has, then the same word missing a letter.
        let word = "asylum"
        #expect(!(try await store.search(word, limit: 3).hits.isEmpty))
        var typo = word
        typo.remove(at: typo.index(typo.startIndex, offsetBy: 4))

        let results = try await store.search(typo, limit: 3)

        #expect(!results.hits.isEmpty)
        #expect(results.corrections.map(\.typed) == [typo])
    }

    @Test func countryProfilesAndAlertsInForceComeWithProvenance() async throws {
        let pack = try #require(try await store.packs().first)
        // A country the pack has services in.
        let services = try await store.nearby(
            request: NearbyRequest(point: GeoPoint(lat: 0, lon: 0), radiusKm: 20_000, limit: 1000)
        )
        let code = try #require(services.compactMap(\.service.country).first)

        let profiles = try await store.country(code: code.lowercased())
        let profile = try #require(profiles.first)
        #expect(profile.code == code)
        #expect(profile.name.inLanguage(["ar"] + pack.fallback) != nil)
        #expect(profile.provenance.pack == pack.packId)

        let alerts = try await store.alerts()
        let now = Date()
        #expect(!alerts.isEmpty)
        for alert in alerts {
            #expect(alert.validFrom <= now && (alert.validUntil.map { now < $0 } ?? true))
            #expect(alert.provenance.publisher == pack.publisher)
        }
        #expect(try await store.alerts(countryCode: code).allSatisfy { $0.area.countries.contains(code) || $0.area.bbox != nil })
    }

    @Test func aCountryCodeThatIsNotISOIsRefused() async {
        await #expect { _ = try await store.country(code: "Greece") } throws: { invalidInputReason($0) != nil }
    }

    @Test func aNegativeLimitIsRefused() async {
        await #expect { _ = try await store.search("asylum", limit: -1) } throws: {
            invalidInputReason($0) == "the limit must not be negative"
        }
    }

    @Test func aTextIsFoundForARegionalLanguageTagByItsPrimarySubtag() {
        let name = ["en": "Clinic", "ar": "عيادة", "ti": "ክሊኒክ"]
        #expect(name.inLanguage(["ar-EG", "en"]) == "عيادة")
        #expect(name.inLanguage(["TI-er"]) == "ክሊኒክ")
        #expect(name.inLanguage(["fa", "en"]) == "Clinic")
        #expect(["ar": "عيادة", "ar-EG": "مستوصف"].inLanguage(["ar-EG"]) == "مستوصف", "the exact tag first")
        #expect([String: String]().inLanguage(["en"]) == nil)
    }
}
