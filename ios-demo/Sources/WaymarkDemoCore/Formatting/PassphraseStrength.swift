import Foundation

/// A hint of how hard a passphrase is to guess, shown as it is typed.
///
/// There are no rules about capitals, digits or symbols: a few ordinary
/// words in one's own language are both strong and easy to remember. Only
/// length and variety count; the one requirement is
/// ``minimumCharacters``.
public enum PassphraseStrength: Int, Sendable, Comparable, CaseIterable {
    /// Shorter than ``minimumCharacters``: refused.
    case tooShort
    /// Accepted, but easy to guess.
    case weak
    /// Reasonable.
    case fair
    /// Good: several words, or long.
    case strong

    /// Passphrases shorter than this are refused.
    public static let minimumCharacters = 8

    /// Weaker first.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The strength of `passphrase`.
    public static func assess(_ passphrase: String) -> PassphraseStrength {
        let characters = passphrase.count
        if characters < minimumCharacters { return .tooShort }
        let distinct = Set(passphrase.lowercased()).count
        let words = passphrase.split(whereSeparator: { $0.isWhitespace }).count
        if distinct < 5 { return .weak }
        if characters >= 20 || (words >= 4 && characters >= 16) { return .strong }
        if characters >= 12 || words >= 3 { return .fair }
        return .weak
    }

    /// The hint shown under the field.
    public func hint(_ strings: Strings) -> String {
        switch self {
        case .tooShort: strings(.strengthTooShort, ["n": Self.minimumCharacters])
        case .weak: strings(.strengthWeak)
        case .fair: strings(.strengthFair)
        case .strong: strings(.strengthStrong)
        }
    }
}
