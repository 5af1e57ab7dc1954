import Foundation
import Testing
@testable import WaymarkDemoCore

@Suite("Language table", .timeLimit(.minutes(1)))
struct StringsTests {
    @Test(arguments: AppLanguage.allCases)
    func everyKeyIsTranslated(_ language: AppLanguage) throws {
        let table = try #require(Strings.tables[language], "no table for \(language)")
        let missing = L10nKey.allCases.filter { (table[$0] ?? "").isEmpty }
        #expect(missing.isEmpty, "\(language.rawValue) lacks \(missing.map(\.rawValue))")
    }

    static let translations: [AppLanguage] = [.arabic, .farsi, .tigrinya, .french]

    @Test(arguments: translations)
    func translationsKeepEveryPlaceholder(_ language: AppLanguage) throws {
        let table = try #require(Strings.tables[language])
        for key in L10nKey.allCases {
            let english = Strings.placeholders(in: Strings.tables[.english]?[key] ?? "")
            let translated = Strings.placeholders(in: table[key] ?? "")
            #expect(translated == english, "\(language.rawValue).\(key.rawValue): \(translated) ≠ \(english)")
        }
    }

    @Test func arabicAndFarsiAreRightToLeftTheOthersNot() {
        #expect(AppLanguage.allCases.filter(\.isRightToLeft) == [.arabic, .farsi])
        #expect(AppLanguage.isRightToLeft(tag: "ar-EG"))
        #expect(AppLanguage.isRightToLeft(tag: "fa-AF"))
        #expect(!AppLanguage.isRightToLeft(tag: "ti"))
    }

    @Test func placeholdersAreFilledInTheChosenLanguage() {
        #expect(Strings(.english)(.tryAgainIn, ["seconds": 28]) == "Try again in 28 s")
        #expect(Strings(.arabic)(.tryAgainIn, ["seconds": 28]) == "حاول مجدداً بعد 28 ث")
    }

    @Test func theSystemLanguagePicksTheFirstOneTheAppSpeaks() {
        #expect(AppLanguage.first(of: ["de-DE", "ar-SY", "en"]) == .arabic)
        #expect(AppLanguage.first(of: ["prs"]) == .farsi)
        #expect(AppLanguage.first(of: ["de"]) == .english)
    }

    @Test func everyLanguageNamesItselfInItsOwnScript() {
        #expect(Set(AppLanguage.allCases.map(\.nativeName)).count == AppLanguage.allCases.count)
        #expect(AppLanguage.tigrinya.nativeName == "ትግርኛ")
    }
}
