import Foundation

/// The app's words in one language.
///
/// Texts are looked up by ``L10nKey``; `{name}` placeholders are filled from
/// the values given. A key missing from a language falls back to English
/// (a test keeps every language complete, so this never shows).
///
/// ```swift
/// let strings = Strings(.arabic)
/// strings(.wrongPassphrase, ["count": 3])   // in Arabic
/// ```
public struct Strings: Sendable {
    /// The language of the texts.
    public let language: AppLanguage

    public init(_ language: AppLanguage) {
        self.language = language
    }

    /// The text for `key`, placeholders left as they are.
    public subscript(_ key: L10nKey) -> String {
        Self.tables[language]?[key] ?? Self.tables[.english]?[key] ?? key.rawValue
    }

    /// The text for `key` with each `{name}` replaced by `values[name]`.
    public func callAsFunction(_ key: L10nKey, _ values: [String: any CustomStringConvertible] = [:]) -> String {
        var text = self[key]
        for (name, value) in values {
            text = text.replacingOccurrences(of: "{\(name)}", with: value.description)
        }
        return text
    }

    /// Every language's table. Dictionaries rather than a switch so that a
    /// missing translation is a test failure, not a compile-time default.
    public static let tables: [AppLanguage: [L10nKey: String]] = [
        .english: english,
        .arabic: arabic,
        .farsi: farsi,
        .tigrinya: tigrinya,
        .french: french,
    ]

    /// The `{name}` placeholders of a text, for checking translations.
    public static func placeholders(in text: String) -> Set<String> {
        var names = Set<String>()
        var rest = text[...]
        while let open = rest.firstIndex(of: "{") {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "}") else { break }
            names.insert(String(after[..<close]))
            rest = after[after.index(after: close)...]
        }
        return names
    }
}
