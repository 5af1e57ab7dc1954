import Foundation
import Waymark

/// What a sync or an install changed in one pack, in the person's
/// language: "3 services updated, 1 alert added" (per kind of entry,
/// added then updated then removed; "Nothing changed." when every count
/// is zero). Counts need grammar a table of texts cannot hold (Arabic has
/// forms for one, two, three to ten, and eleven and more; French
/// participles agree), so the words are here, per language.
public enum ChangeSummary {
    /// What happened to entries in a new version of a pack.
    public enum Change: Sendable, CaseIterable {
        case added, updated, removed
    }

    /// The summary of `changes` (nil: nothing is known to have changed).
    public static func text(_ changes: PackChanges?, strings: Strings) -> String {
        var parts: [String] = []
        for kind in changes?.kinds ?? [] {
            for (change, count) in [(Change.added, kind.added), (.updated, kind.changed), (.removed, kind.removed)]
            where count > 0 {
                parts.append(phrase(kind: kind.kind, change: change, count: count, language: strings.language))
            }
        }
        if parts.isEmpty { return strings(.nothingChanged) }
        return parts.joined(separator: separator(strings.language))
    }

    /// `count` (at least 1) entries of `kind` (`service`, `article`,
    /// `country`, `route`, `alert`; others as given) added, updated or removed.
    public static func phrase(kind: String, change: Change, count n: Int64, language: AppLanguage) -> String {
        switch language {
        case .english:
            let nouns = ["service": ("service", "services"), "article": ("article", "articles"),
                         "country": ("country", "countries"), "route": ("route", "routes"), "alert": ("alert", "alerts")]
            let (one, many) = nouns[kind] ?? (kind, kind)
            let verb = switch change {
            case .added: "added"
            case .updated: "updated"
            case .removed: "removed"
            }
            return "\(n) \(n == 1 ? one : many) \(verb)"
        case .french:
            // Participles agree: service, article, pays, itinéraire are
            // masculine, alerte feminine; "pays" is the same in the plural.
            let nouns = ["service": ("service", "services", false), "article": ("article", "articles", false),
                         "country": ("pays", "pays", false), "route": ("itinéraire", "itinéraires", false),
                         "alert": ("alerte", "alertes", true)]
            let (one, many, feminine) = nouns[kind] ?? (kind, kind, false)
            let plural = n > 1
            let ending = (feminine ? "e" : "") + (plural ? "s" : "")
            let verb = switch change {
            case .added: "ajouté\(ending)"
            case .updated: feminine ? "mise\(plural ? "s" : "") à jour" : "mis à jour"
            case .removed: "supprimé\(ending)"
            }
            return "\(n) \(plural ? many : one) \(verb)"
        case .arabic:
            // "تمت إضافة 3 خدمات": the verbal noun needs no agreement with the count.
            let forms = ["service": ("خدمة واحدة", "خدمتين", "خدمات", "خدمة"),
                         "article": ("مقالة واحدة", "مقالتين", "مقالات", "مقالة"),
                         "country": ("بلد واحد", "بلدين", "بلدان", "بلدًا"),
                         "route": ("طريق واحد", "طريقين", "طرق", "طريقًا"),
                         "alert": ("تنبيه واحد", "تنبيهين", "تنبيهات", "تنبيهًا")]
            let noun: String
            if let form = forms[kind] {
                noun = switch n {
                case 1: form.0
                case 2: form.1
                case _ where (3...10).contains(n % 100): "\(n) \(form.2)"
                default: "\(n) \(form.3)"
                }
            } else {
                noun = "\(n) \(kind)"
            }
            return switch change {
            case .added: "تمت إضافة \(noun)"
            case .updated: "تم تحديث \(noun)"
            case .removed: "تمت إزالة \(noun)"
            }
        case .farsi:
            // A noun after a number stays singular in Persian.
            let noun = ["service": "خدمت", "article": "مقاله", "country": "کشور", "route": "مسیر", "alert": "هشدار"][kind] ?? kind
            return switch change {
            case .added: "\(n) \(noun) اضافه شد"
            case .updated: "\(n) \(noun) به‌روز شد"
            case .removed: "\(n) \(noun) حذف شد"
            }
        case .tigrinya:
            let noun = ["service": "ኣገልግሎት", "article": "ጽሑፍ", "country": "ሃገር", "route": "መገዲ", "alert": "መጠንቀቕታ"][kind] ?? kind
            return switch change {
            case .added: "\(n) \(noun) ተወሲኹ"
            case .updated: "\(n) \(noun) ተሓዲሱ"
            case .removed: "\(n) \(noun) ተኣልዩ"
            }
        }
    }

    private static func separator(_ language: AppLanguage) -> String {
        switch language {
        case .arabic, .farsi: "، "
        case .tigrinya: "፣ "
        case .english, .french: ", "
        }
    }
}
