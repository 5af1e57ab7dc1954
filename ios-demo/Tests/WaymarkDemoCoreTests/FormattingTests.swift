import Foundation
import Testing
import Waymark
@testable import WaymarkDemoCore

@Suite("Formatting", .timeLimit(.minutes(1)))
struct FormattingTests {
    func provenance(ageDays: Int64, sample: Bool = false) -> Provenance {
        Provenance(
            publisher: "sample-ngo", publisherName: "Sample NGO", pack: "sample-mediterranean", packVersion: 3,
            verified: "2026-11-20", ageDays: ageDays, sample: sample)
    }

    @Test func provenanceSaysWhoWhichPackAndHowLongAgoItWasVerified() {
        let text = ProvenanceText(provenance(ageDays: 12), strings: Strings(.english))
        #expect(text.line == "Sample NGO · sample-mediterranean v3 · checked 12 days ago")
        #expect(!text.isStale && !text.isSample)
        #expect(ProvenanceText(provenance(ageDays: 0), strings: Strings(.english)).line.hasSuffix("checked today"))
        #expect(ProvenanceText(provenance(ageDays: 12), strings: Strings(.arabic)).line.hasSuffix("تم التحقق قبل 12 يوماً"))
    }

    @Test func changeSummariesCountInEachLanguage() {
        let changes = PackChanges(kinds: [
            KindChanges(kind: "service", added: 0, changed: 3, removed: 0, addedIds: [], changedIds: ["a", "b", "c"], removedIds: []),
            KindChanges(kind: "article", added: 0, changed: 0, removed: 2, addedIds: [], changedIds: [], removedIds: ["x", "y"]),
            KindChanges(kind: "alert", added: 1, changed: 11, removed: 0, addedIds: ["h"], changedIds: [], removedIds: []),
        ])
        #expect(ChangeSummary.text(changes, strings: Strings(.english))
            == "3 services updated, 2 articles removed, 1 alert added, 11 alerts updated")
        #expect(ChangeSummary.text(changes, strings: Strings(.arabic))
            == "تم تحديث 3 خدمات، تمت إزالة مقالتين، تمت إضافة تنبيه واحد، تم تحديث 11 تنبيهًا")
        #expect(ChangeSummary.text(changes, strings: Strings(.french))
            == "3 services mis à jour, 2 articles supprimés, 1 alerte ajoutée, 11 alertes mises à jour")
        for language in AppLanguage.allCases {
            let strings = Strings(language)
            #expect(ChangeSummary.text(PackChanges(kinds: []), strings: strings) == strings(.nothingChanged))
            #expect(ChangeSummary.text(nil, strings: strings) == strings(.nothingChanged))
        }
    }

    @Test func oldOrSampleEntriesAreMarked() {
        #expect(ProvenanceText(provenance(ageDays: 181), strings: Strings(.french)).isStale)
        #expect(!ProvenanceText(provenance(ageDays: 180), strings: Strings(.french)).isStale)
        #expect(ProvenanceText(provenance(ageDays: 1, sample: true), strings: Strings(.french)).isSample)
    }

    @Test func highlightsFromUTF16OffsetsMarkTheMatchedWords() {
        let snippet = "اذهب إلى مركز الشرطة القريب"
        let start = snippet.utf16.count - "مركز الشرطة القريب".utf16.count
        let highlight = Highlight(start: Int32(start), end: Int32(start + "مركز الشرطة".utf16.count))
        let text = Highlighting.attributed(snippet, highlights: [highlight])
        #expect(Highlighting.highlightedRuns(of: text) == ["مركز الشرطة"])
        #expect(String(text.characters) == snippet)
    }

    @Test func highlightsNeverSplitACharacterNorCrashOnBadOffsets() {
        // 👩🏽‍⚕️ is one character of seven UTF-16 units.
        let snippet = "a 👩🏽‍⚕️ doctor"
        let text = Highlighting.attributed(snippet, highlights: [
            Highlight(start: 3, end: 4),  // inside the emoji: widened to all of it
            Highlight(start: 10, end: 500),  // past the end: clipped
            Highlight(start: 7, end: 2),  // backwards: ignored
        ])
        #expect(Highlighting.highlightedRuns(of: text) == ["👩🏽‍⚕️", "doctor"])
    }

    @Test func sizesAreInKilobytesOrMegabytesNeverZero() {
        let english = Strings(.english)
        #expect(Units.bytes(12, strings: english) == "1 KB")
        #expect(Units.bytes(340_000, strings: english) == "340 KB")
        #expect(Units.bytes(1_250_000, strings: english) == "1.3 MB")
        #expect(Units.bytes(2_000_000, strings: Strings(.french)) == "2 Mo")
        #expect(Units.distance(kilometres: 0.849, strings: english) == "850 m")
        #expect(Units.distance(kilometres: 12.34, strings: english) == "12.3 km")
    }

    @Test func expiryBadgesMarkExpiredAndWithinNinetyDays() throws {
        let calendar = utcCalendar
        let today = try #require(calendar.date(from: DateComponents(year: 2026, month: 12, day: 2, hour: 23)))
        #expect(ExpiryBadge.badge(expiresOn: "2026-12-01", today: today, calendar: calendar) == .expired)
        #expect(ExpiryBadge.badge(expiresOn: "2026-12-02", today: today, calendar: calendar) == .expiresSoon(daysLeft: 0))
        #expect(ExpiryBadge.badge(expiresOn: "2027-03-02", today: today, calendar: calendar) == .expiresSoon(daysLeft: 90))
        #expect(ExpiryBadge.badge(expiresOn: "2027-03-03", today: today, calendar: calendar) == nil)
        #expect(ExpiryBadge.badge(expiresOn: "2027-02-30", today: today, calendar: calendar) == nil)
        #expect(ExpiryBadge.badge(expiresOn: nil, today: today, calendar: calendar) == nil)
        #expect(ExpiryBadge.expiresSoon(daysLeft: 10).text(Strings(.english)) == "Expires in 10 days")
    }

    @Test func passphraseHintsCountLengthAndWordsNotCapitalsOrDigits() {
        #expect(PassphraseStrength.assess("short") == .tooShort)
        #expect(PassphraseStrength.assess("aaaaaaaaaaaa") == .weak)
        #expect(PassphraseStrength.assess("river stone") == .weak)
        #expect(PassphraseStrength.assess("river stone blue") == .fair)
        #expect(PassphraseStrength.assess("river stone blue lantern") == .strong)
        #expect(PassphraseStrength.assess("نهر حجر أزرق فانوس") == .strong)
        #expect(PassphraseStrength.assess("P4ssw0rd!") == .weak)
    }
}
