import Foundation

/// A language the app's own words are written in. Content comes in the
/// languages its packs carry; these are the languages of the buttons,
/// messages and warnings.
///
/// The translations have not been checked by native speakers yet (see
/// README.md): they are a start, kept complete by a test.
public enum AppLanguage: String, CaseIterable, Sendable, Codable, Identifiable {
    case english = "en"
    case arabic = "ar"
    case farsi = "fa"
    case tigrinya = "ti"
    case french = "fr"

    /// The BCP 47 tag, for `ForEach`.
    public var id: String { rawValue }

    /// The BCP 47 tag.
    public var tag: String { rawValue }

    /// The language's name in itself, for the language picker: a person
    /// who reads no English must find their language.
    public var nativeName: String {
        switch self {
        case .english: "English"
        case .arabic: "العربية"
        case .farsi: "فارسی"
        case .tigrinya: "ትግርኛ"
        case .french: "Français"
        }
    }

    /// True for the languages written right to left: the layout mirrors.
    public var isRightToLeft: Bool {
        Self.isRightToLeft(tag: rawValue)
    }

    /// True when a text in `tag` (BCP 47, e.g. a search hit's language) is
    /// written right to left.
    public static func isRightToLeft(tag: String) -> Bool {
        let base = tag.split(separator: "-").first.map { $0.lowercased() } ?? ""
        return ["ar", "fa", "he", "ur", "ps", "ckb", "yi", "dv"].contains(base)
    }

    /// The languages to ask content in, preferred first: this one, then
    /// English, which most packs carry.
    public var contentLanguages: [String] {
        self == .english ? ["en"] : [rawValue, "en"]
    }

    /// The first of `preferred` (the system's languages, BCP 47) the app
    /// speaks, else English. `fa-AF` (Dari) reads Farsi.
    public static func first(of preferred: [String]) -> AppLanguage {
        for tag in preferred {
            let base = tag.split(separator: "-").first.map { $0.lowercased() } ?? ""
            if let language = AppLanguage(rawValue: base) { return language }
            if base == "prs" { return .farsi }
        }
        return .english
    }
}
