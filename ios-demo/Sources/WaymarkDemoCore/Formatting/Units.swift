import Foundation

/// Sizes and distances as a person reads them, with the units translated.
public enum Units {
    /// "340 KB", "1.2 MB": what a download costs, before it is spent.
    /// Kilobytes are 1,000 bytes, as operators bill them; below 1 KB shows
    /// as 1 KB (never "0 KB" for something that costs data).
    public static func bytes(_ count: Int64, strings: Strings) -> String {
        let kilobytes = Double(max(count, 0)) / 1000
        if kilobytes < 1000 {
            return strings(.kilobytes, ["n": Int(max(1, kilobytes.rounded(.up)))])
        }
        return strings(.megabytes, ["n": oneDecimal(kilobytes / 1000)])
    }

    /// "850 m", "1.2 km".
    public static func distance(kilometres: Double, strings: Strings) -> String {
        if kilometres < 1 {
            return strings(.metres, ["n": Int((kilometres * 1000 / 10).rounded()) * 10])
        }
        return strings(.kilometres, ["n": oneDecimal(kilometres)])
    }

    private static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
    }
}
