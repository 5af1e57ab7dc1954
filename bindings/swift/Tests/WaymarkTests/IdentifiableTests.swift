import Foundation
import Testing
import Waymark

@Suite("Identifiable", .failsWhenStuck)
struct IdentifiableTests {
    /// Two NGOs publish the same pack (same pack id, same entry ids): a
    /// phone trusting both lists both, and every row keeps an id of its own.
    @Test func theSamePackFromTwoPublishersGivesRowsWithDistinctIds() async throws {
        let home = try TemporaryDirectory()
        let store = try await ContentStore.open(dir: home.path("content"))
        let first = try await PublishedSample.publish()
        let second = try await PublishedSample.publish(asPublisher: "other-ngo")
        let a = try await store.trustPublisher(card: first.card)
        let b = try await store.trustPublisher(card: second.card)
        #expect(a.id != b.id)
        _ = try await store.installPackFromFile(path: first.bundle.path)
        _ = try await store.installPackFromFile(path: second.bundle.path)

        #expect(try await store.trustedPublishers().map(\.id).sorted() == [a.id, b.id].sorted())
        let packs = try await store.packs()
        #expect(packs.count == 2)
        #expect(Set(packs.map(\.packId)).count == 1, "the same pack id from both")
        #expect(Set(packs.map(\.id)) == [
            PackKey(publisher: a.id, pack: packs[0].packId), PackKey(publisher: b.id, pack: packs[0].packId),
        ])

        let hits = try await store.search("asylum", limit: 50).hits
        #expect(Set(hits.map(\.entryId)).count < hits.count, "entries with the same id from both")
        #expect(Set(hits.map(\.id)).count == hits.count)
        for hit in hits {
            #expect(hit.id == EntryKey(publisher: hit.provenance.publisher, pack: hit.provenance.pack, entry: hit.entryId))
        }
    }
}
