//! The phone's own words for the preview, as the Android demo shows them
//! (`android-demo/src/main/kotlin/org/waymark/demo/i18n/`), so that an
//! author sees a pack the way a person will. Languages the demo does not
//! speak fall back to English.

/// Labels for one language.
pub struct Texts {
    pub search_hint: &'static str,
    pub search: &'static str,
    pub all_categories: &'static str,
    pub no_results: &'static str,
    pub sample: &'static str,
    pub stale: &'static str,
    pub country: &'static str,
    pub emergency: &'static str,
    pub nearby: &'static str,
    pub open_now: &'static str,
    pub closed_now: &'static str,
    pub free: &'static str,
    pub speaks: &'static str,
    pub routes: &'static str,
    pub route_place: &'static str,
    pub border_crossing: &'static str,
    pub alerts: &'static str,
    pub no_alerts: &'static str,
    /// Info, warning, danger.
    pub severity: [&'static str; 3],
    /// "verified N days ago", with `{n}` for N.
    pub verified_ago: &'static str,
    /// "v{n}".
    pub version: &'static str,
}

const EN: Texts = Texts {
    search_hint: "Search: lawyer, shelter, doctor…",
    search: "Search",
    all_categories: "Every category",
    no_results: "Nothing found. Try other words.",
    sample: "SAMPLE: not real information",
    stale: "OLD: check before you rely on it",
    country: "Country",
    emergency: "Emergency numbers",
    nearby: "Help near me",
    open_now: "Open now",
    closed_now: "Closed now",
    free: "Free",
    speaks: "Speaks:",
    routes: "Routes",
    route_place: "Town or city",
    border_crossing: "Border crossing",
    alerts: "Alerts",
    no_alerts: "No alerts now.",
    severity: ["Information", "Warning", "Danger"],
    verified_ago: "verified {n} days ago",
    version: "v{n}",
};

const AR: Texts = Texts {
    search_hint: "ابحث: محامٍ، مأوى، طبيب…",
    search: "ابحث",
    all_categories: "كل الفئات",
    no_results: "لم يُعثر على شيء. جرّب كلمات أخرى.",
    sample: "عيّنة: ليست معلومات حقيقية",
    stale: "قديمة: تحقق منها قبل الاعتماد عليها",
    country: "البلد",
    emergency: "أرقام الطوارئ",
    nearby: "مساعدة قريبة مني",
    open_now: "مفتوح الآن",
    closed_now: "مغلق الآن",
    free: "مجاني",
    speaks: "اللغات:",
    routes: "الطرق",
    route_place: "البلدة أو المدينة",
    border_crossing: "عبور حدود",
    alerts: "تنبيهات",
    no_alerts: "لا توجد تنبيهات الآن.",
    severity: ["معلومة", "تحذير", "خطر"],
    verified_ago: "تم التحقق قبل {n} يوم",
    version: "الإصدار {n}",
};

const FA: Texts = Texts {
    search_hint: "جستجو: وکیل، سرپناه، پزشک…",
    search: "جستجو",
    all_categories: "همه دسته‌ها",
    no_results: "چیزی پیدا نشد. کلمات دیگری امتحان کنید.",
    sample: "نمونه: اطلاعات واقعی نیست",
    stale: "قدیمی: پیش از اعتماد بررسی کنید",
    country: "کشور",
    emergency: "شماره‌های اضطراری",
    nearby: "کمک نزدیک من",
    open_now: "اکنون باز است",
    closed_now: "اکنون بسته است",
    free: "رایگان",
    speaks: "زبان‌ها:",
    routes: "مسیرها",
    route_place: "شهر یا روستا",
    border_crossing: "عبور از مرز",
    alerts: "هشدارها",
    no_alerts: "اکنون هشداری نیست.",
    severity: ["اطلاع", "هشدار", "خطر"],
    verified_ago: "{n} روز پیش بررسی شده",
    version: "نسخه {n}",
};

const FR: Texts = Texts {
    search_hint: "Chercher : avocat, hébergement, médecin…",
    search: "Chercher",
    all_categories: "Toutes les catégories",
    no_results: "Rien trouvé. Essayez d'autres mots.",
    sample: "EXEMPLE : informations fictives",
    stale: "ANCIEN : vérifiez avant de vous y fier",
    country: "Pays",
    emergency: "Numéros d'urgence",
    nearby: "Aide près de moi",
    open_now: "Ouvert maintenant",
    closed_now: "Fermé maintenant",
    free: "Gratuit",
    speaks: "Langues :",
    routes: "Itinéraires",
    route_place: "Ville",
    border_crossing: "Passage de frontière",
    alerts: "Alertes",
    no_alerts: "Aucune alerte en ce moment.",
    severity: ["Information", "Attention", "Danger"],
    verified_ago: "vérifié il y a {n} jours",
    version: "v{n}",
};

const TI: Texts = Texts {
    search_hint: "ድለ: ጠበቓ፡ መጽለሊ፡ ሓኪም…",
    search: "ድለ",
    all_categories: "ኩሉ ዓይነታት",
    no_results: "ዝተረኽበ የለን። ካልእ ቃላት ፈትን።",
    sample: "ኣብነት: ናይ ሓቂ ሓበሬታ ኣይኮነን",
    stale: "ኣረጊት: ቅድሚ ምእማንካ ፈትሽ",
    country: "ሃገር",
    emergency: "ቁጽሪ ህጹጽ ረድኤት",
    nearby: "ጥቓይ ዘሎ ሓገዝ",
    open_now: "ሕጂ ክፉት",
    closed_now: "ሕጂ ዕጹው",
    free: "ብናጻ",
    speaks: "ቋንቋታት:",
    routes: "መገድታት",
    route_place: "ከተማ",
    border_crossing: "ምስጋር ዶብ",
    alerts: "መጠንቀቕታታት",
    no_alerts: "ሕጂ መጠንቀቕታ የለን።",
    severity: ["ሓበሬታ", "መጠንቀቕታ", "ሓደጋ"],
    verified_ago: "ቅድሚ {n} መዓልቲ ተረጋጊጹ",
    version: "ሕታም {n}",
};

/// The labels for `lang` (its primary subtag), English when the demo has
/// none.
pub fn texts(lang: &str) -> &'static Texts {
    match primary(lang) {
        "ar" => &AR,
        "fa" => &FA,
        "fr" => &FR,
        "ti" => &TI,
        _ => &EN,
    }
}

/// Languages written right to left (primary subtags): Arabic, Persian,
/// Urdu, Hebrew, Pashto, Central Kurdish, Dhivehi, Sindhi, Uyghur, Yiddish.
const RTL: &[&str] = &["ar", "fa", "ur", "he", "ps", "ckb", "dv", "sd", "ug", "yi"];

/// `rtl` or `ltr` for a BCP 47 tag.
pub fn direction(lang: &str) -> &'static str {
    let p = primary(lang).to_ascii_lowercase();
    if RTL.contains(&p.as_str()) {
        "rtl"
    } else {
        "ltr"
    }
}

fn primary(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_persian_and_their_variants_are_right_to_left() {
        for tag in ["ar", "ar-EG", "fa", "fa_AF", "ckb", "ur", "he", "ps"] {
            assert_eq!(direction(tag), "rtl", "{tag}");
        }
        for tag in ["en", "ti", "fr", "", "arn"] {
            assert_eq!(direction(tag), "ltr", "{tag}");
        }
    }
}
