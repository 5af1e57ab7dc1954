import Foundation
import Waymark

/// A search snippet with the parts that matched marked, for display.
///
/// The core gives highlights as UTF-16 offsets (the unit of `NSString`,
/// Kotlin and the web). They become `AttributedString` runs marked with
/// ``SearchMatchAttribute``, and on Apple platforms also
/// `inlinePresentationIntent = .stronglyEmphasized`, which SwiftUI's `Text`
/// shows in bold (Linux's Foundation has no presentation intents). Offsets
/// outside the snippet are clipped, and an offset inside a character (half
/// of a surrogate pair, part of a grapheme cluster) widens to the whole
/// character, so a bad range never crashes nor splits a letter.
public enum Highlighting {
    /// `snippet` with `highlights` marked.
    public static func attributed(_ snippet: String, highlights: [Highlight]) -> AttributedString {
        var text = AttributedString(snippet)
        for range in ranges(in: snippet, highlights: highlights) {
            guard let lower = AttributedString.Index(range.lowerBound, within: text),
                  let upper = AttributedString.Index(range.upperBound, within: text)
            else { continue }
            text[lower..<upper][SearchMatchAttribute.self] = true
            #if canImport(Darwin)
            text[lower..<upper].inlinePresentationIntent = .stronglyEmphasized
            #endif
        }
        return text
    }

    /// The ranges of `snippet` that `highlights` name, whole characters,
    /// in order, empty ones dropped.
    public static func ranges(in snippet: String, highlights: [Highlight]) -> [Range<String.Index>] {
        // Each character's first index and its UTF-16 offset.
        var characters: [(index: String.Index, offset: Int)] = []
        var offset = 0
        for index in snippet.indices {
            characters.append((index, offset))
            offset += snippet[index].utf16.count
        }
        let length = offset
        return highlights.compactMap { highlight -> Range<String.Index>? in
            let start = min(max(Int(highlight.start), 0), length)
            let end = min(max(Int(highlight.end), start), length)
            guard start < end else { return nil }
            // Round outwards to whole characters.
            let from = characters.last { $0.offset <= start }?.index ?? snippet.startIndex
            let to = characters.first { $0.offset >= end }?.index ?? snippet.endIndex
            return from..<to
        }
        .sorted { $0.lowerBound < $1.lowerBound }
    }

    /// The highlighted texts of a marked snippet, in order (for tests and
    /// for accessibility labels).
    public static func highlightedRuns(of text: AttributedString) -> [String] {
        text.runs.compactMap { run in
            run[SearchMatchAttribute.self] == true ? String(text[run.range].characters) : nil
        }
    }
}

/// Marks the part of a search snippet that matched the query.
public enum SearchMatchAttribute: AttributedStringKey {
    /// True on the matched characters.
    public typealias Value = Bool
    /// The attribute's name.
    public static let name = "org.waymark.searchMatch"
}
