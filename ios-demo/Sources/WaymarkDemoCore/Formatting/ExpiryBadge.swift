import Foundation

/// The mark a document carries when its expiry date is near or past.
public enum ExpiryBadge: Sendable, Equatable, Hashable {
    /// The document expired (the date is before today).
    case expired
    /// It expires within ``soonDays`` days (0: today).
    case expiresSoon(daysLeft: Int)

    /// Documents expiring within this many days are marked.
    public static let soonDays = 90

    /// The badge for a document expiring on `expiresOn` (ISO 8601
    /// `YYYY-MM-DD`), on the day `today` is in `calendar`; nil when there is
    /// no date, it is far off, or it cannot be read.
    public static func badge(expiresOn: String?, today: Date, calendar: Calendar = .current) -> ExpiryBadge? {
        guard let expiresOn, let day = day(expiresOn, calendar: calendar) else { return nil }
        let start = calendar.startOfDay(for: today)
        guard let days = calendar.dateComponents([.day], from: start, to: day).day else { return nil }
        if days < 0 { return .expired }
        return days <= soonDays ? .expiresSoon(daysLeft: days) : nil
    }

    /// The badge's words.
    public func text(_ strings: Strings) -> String {
        switch self {
        case .expired: strings(.badgeExpired)
        case .expiresSoon(0): strings(.badgeExpiresToday)
        case .expiresSoon(let days): strings(.badgeExpiresInDays, ["days": days])
        }
    }

    static func day(_ iso: String, calendar: Calendar) -> Date? {
        let parts = iso.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        var components = DateComponents()
        components.year = parts[0]
        components.month = parts[1]
        components.day = parts[2]
        guard let date = calendar.date(from: components),
              calendar.component(.day, from: date) == parts[2] else { return nil }
        return date
    }
}
