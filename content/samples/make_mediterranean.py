"""Writes the SAMPLE source of the mediterranean pack (content/samples/mediterranean/).

Everything it writes is example data, labelled as such, except the EU-wide
emergency number 112. Run it again after editing the tables below:

    python3 content/samples/make_mediterranean.py
"""
import csv
import json
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mediterranean")
LANGS = ["en", "ar", "ti", "fr", "fa"]

CITIES = [
    # key, names by language, country, lat, lon, phone prefix
    ("athens", {"en": "Athens", "ar": "أثينا", "ti": "ኣቴንስ", "fr": "Athènes", "fa": "آتن"}, "GR", 37.9838, 23.7275, "+30 210"),
    ("thessaloniki", {"en": "Thessaloniki", "ar": "سالونيك", "ti": "ተሰሎንቄ", "fr": "Thessalonique", "fa": "تسالونیکی"}, "GR", 40.6401, 22.9444, "+30 2310"),
    ("mytilene", {"en": "Mytilene", "ar": "ميتيليني", "ti": "ሚቲሊኒ", "fr": "Mytilène", "fa": "میتیلینی"}, "GR", 39.1047, 26.5546, "+30 22510"),
    ("rome", {"en": "Rome", "ar": "روما", "ti": "ሮማ", "fr": "Rome", "fa": "رم"}, "IT", 41.9028, 12.4964, "+39 06"),
    ("milan", {"en": "Milan", "ar": "ميلانو", "ti": "ሚላኖ", "fr": "Milan", "fa": "میلان"}, "IT", 45.4642, 9.19, "+39 02"),
    ("lampedusa", {"en": "Lampedusa", "ar": "لامبيدوزا", "ti": "ላምፐዱሳ", "fr": "Lampedusa", "fa": "لامپدوزا"}, "IT", 35.5022, 12.6093, "+39 0922"),
    ("madrid", {"en": "Madrid", "ar": "مدريد", "ti": "ማድሪድ", "fr": "Madrid", "fa": "مادرید"}, "ES", 40.4168, -3.7038, "+34 91"),
    ("melilla", {"en": "Melilla", "ar": "مليلية", "ti": "መሊላ", "fr": "Melilla", "fa": "ملیله"}, "ES", 35.2923, -2.9381, "+34 952"),
]

KINDS = [
    # category, names, descriptions, free, schedule rows (byday, opens, closes), spoken languages
    ("legal",
     {"en": "Legal aid desk", "ar": "مكتب المُسَاعَدَة القانونية", "ti": "ቤት ጽሕፈት ሕጋዊ ሓገዝ", "fr": "Permanence juridique", "fa": "دفتر کمک حقوقی"},
     {"en": "Free advice on asylum claims, interviews and appeals.", "ar": "استشارات مجانية حول طلبات اللجوء والمقابلات والاستئناف.", "fr": "Conseils gratuits sur la demande d'asile, les entretiens et les recours."},
     "true", [("MO,TU,WE,TH,FR", "09:00", "17:00")], ["en", "ar", "fa"]),
    ("shelter",
     {"en": "Night shelter", "ar": "مأوى ليلي", "ti": "ናይ ለይቲ መጠለያ", "fr": "Hébergement de nuit", "fa": "سرپناه شبانه"},
     {"en": "Beds for the night, blankets and a hot drink. Families first.", "ar": "أسرّة للمبيت وبطانيات ومشروب ساخن. الأولوية للعائلات.", "fr": "Lits pour la nuit, couvertures et boisson chaude. Familles en priorité."},
     "true", [("MO,TU,WE,TH,FR,SA,SU", "20:00", "08:00")], ["en", "ar", "ti"]),
    ("health",
     {"en": "Health clinic", "ar": "عيادة صحية", "ti": "ክሊኒክ ጥዕና", "fr": "Centre de santé", "fa": "درمانگاه"},
     {"en": "A doctor and a nurse see people without papers. Vaccinations for children.", "ar": "طبيب وممرضة يستقبلون الأشخاص بدون أوراق. تطعيمات للأطفال.", "fr": "Un médecin et une infirmière reçoivent les personnes sans papiers. Vaccins pour enfants."},
     "true", [("MO,WE,FR", "10:00", "16:00")], ["en", "fr", "ar"]),
    ("food",
     {"en": "Food distribution", "ar": "توزيع الطعام", "ti": "ምክፍፋል መግቢ", "fr": "Distribution alimentaire", "fa": "توزیع غذا"},
     {"en": "Hot meals at midday and food parcels on Saturdays.", "ar": "وجبات ساخنة عند الظهر وسلال غذائية يوم السبت.", "fr": "Repas chauds à midi et colis alimentaires le samedi."},
     "true", [("MO,TU,WE,TH,FR", "12:00", "14:00"), ("SA", "10:00", "13:00")], ["en", "ar"]),
    ("women",
     {"en": "Women's safe space", "ar": "مساحة آمنة للنساء", "ti": "ውሑስ ቦታ ንኣንስቲ", "fr": "Espace sûr pour les femmes", "fa": "فضای امن زنان"},
     {"en": "A quiet place for women and girls: counselling, hygiene kits, referrals.", "ar": "مكان هادئ للنساء والفتيات: استشارات ومستلزمات نظافة وإحالات.", "fr": "Un lieu calme pour les femmes et les filles : écoute, kits d'hygiène, orientation."},
     "true", [("TU,TH", "10:00", "15:00")], ["en", "ar", "fa", "ti"]),
    ("children",
     {"en": "Child-friendly space", "ar": "مساحة صديقة للأطفال", "ti": "ቦታ ቆልዑ", "fr": "Espace ami des enfants", "fa": "فضای دوستدار کودک"},
     {"en": "Play, lessons and support for children and teenagers.", "ar": "لعب ودروس ودعم للأطفال والمراهقين.", "fr": "Jeux, cours et soutien pour les enfants et adolescents."},
     "true", [("MO,TU,WE,TH,FR", "09:30", "13:30")], ["en", "ar"]),
    ("wifi",
     {"en": "Phone charging and Wi-Fi point", "ar": "نقطة شحن الهاتف والإنترنت", "ti": "ቦታ ምምላእ ሞባይልን ዋይፋይን", "fr": "Point de recharge et Wi-Fi", "fa": "محل شارژ تلفن و وای‌فای"},
     {"en": "Charge your phone and use free Wi-Fi. No registration.", "ar": "اشحن هاتفك واستخدم الإنترنت المجاني. بدون تسجيل.", "fr": "Rechargez votre téléphone et utilisez le Wi-Fi gratuit. Sans inscription."},
     "true", [("MO,TU,WE,TH,FR,SA,SU", "08:00", "22:00")], ["en"]),
]

HOTLINES = [
    ("hotline-legal", {"en": "Legal advice hotline", "ar": "خط الاستشارات القانونية", "ti": "ተሌፎን ሕጋዊ ምኽሪ", "fr": "Ligne d'information juridique", "fa": "خط مشاوره حقوقی"}, "+30 800 000 0101", ["en", "ar", "fa", "ti"]),
    ("hotline-health", {"en": "Health information line", "ar": "خط المعلومات الصحية", "ti": "ተሌፎን ሓበሬታ ጥዕና", "fr": "Ligne d'information santé", "fa": "خط اطلاعات سلامت"}, "+39 800 000 102", ["en", "ar", "fr"]),
    ("hotline-family", {"en": "Family tracing line", "ar": "خط البحث عن الأقارب", "ti": "ተሌፎን ምድላይ ስድራ", "fr": "Ligne de recherche familiale", "fa": "خط جستجوی خانواده"}, "+34 900 000 103", ["en", "ar", "ti", "fa"]),
    ("hotline-women", {"en": "Women's support line", "ar": "خط دعم النساء", "ti": "ተሌፎን ደገፍ ኣንስቲ", "fr": "Ligne d'écoute pour les femmes", "fa": "خط حمایت از زنان"}, "+30 800 000 0104", ["en", "ar", "fa"]),
]

ORGS = [
    ("org-legal", "Sample Legal Aid Network (example)", "legal"),
    ("org-shelter", "Sample Shelter Association (example)", "shelter"),
    ("org-health", "Sample Health Volunteers (example)", "health"),
    ("org-food", "Sample Food Bank (example)", "food"),
    ("org-women", "Sample Women's Collective (example)", "women"),
    ("org-children", "Sample Children's Fund (example)", "children"),
    ("org-connect", "Sample Connectivity Project (example)", "wifi"),
]


def write_csv(name, header, rows):
    with open(os.path.join(OUT, "services", name), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def services():
    os.makedirs(os.path.join(OUT, "services"), exist_ok=True)
    # The IANA time zone of each country's services' hours (Spain has
    # several, so waymark-pack needs it named).
    ZONES = {"GR": "Europe/Athens", "ES": "Europe/Madrid", "IT": "Europe/Rome"}
    org_of = {cat: oid for oid, _, cat in ORGS}
    write_csv("organization.csv", ["id", "name", "description", "email", "url"],
              [[oid, name, "Sample organisation for demonstration only.", f"{oid}@example.org", f"https://example.org/{oid}"] for oid, name, _ in ORGS])
    svc, loc, adr, sal, phone, sched, lang = [], [], [], [], [], [], []
    n = 0
    for ci, (city, cnames, cc, lat, lon, prefix) in enumerate(CITIES):
        for ki, (cat, names, desc, free, hours, spoken) in enumerate(KINDS):
            n += 1
            sid = f"{city}-{cat}"
            name = {l: f"{names[l]} – {cnames[l]}" for l in LANGS}
            verified = f"2026-{9 + (n % 3):02d}-{1 + (n % 27):02d}"
            svc.append([sid, org_of[cat], name["en"] + " (example)", desc["en"], "", "", "", verified,
                        name["ar"], name["ti"], name["fr"], name["fa"], desc.get("ar", ""), desc.get("fr", ""),
                        cat + (";children" if cat == "health" else ""), free])
            dlat, dlon = ((ki % 4) - 1.5) * 0.004, ((ki // 4) - 0.5) * 0.006
            loc.append([f"loc-{sid}", name["en"], f"{lat + dlat:.5f}", f"{lon + dlon:.5f}"])
            adr.append([f"adr-{sid}", f"loc-{sid}", f"{10 + ki} Example Street (example)", cnames["en"], f"{10000 + n}", cc])
            sal.append([f"sal-{sid}", sid, f"loc-{sid}"])
            # A national number of the length the country dials (GR 10, ES 9, IT 10 digits).
            code, area = prefix.split(" ", 1)
            width = {"+30": 10, "+34": 9, "+39": 10}[code] - len(area)
            phone.append([f"ph-{sid}", sid, f"{prefix} {n:0{width}d}", "Reception (example number)"])
            for hi, (days, o, c) in enumerate(hours):
                sched.append([f"sch-{sid}-{hi}", sid, days, o, c, ZONES[cc]])
            for li, code in enumerate(spoken):
                lang.append([f"lang-{sid}-{li}", sid, code])
    for hid, names, number, spoken in HOTLINES:
        svc.append([hid, "org-legal" if "legal" in hid else "org-health", names["en"] + " (example)",
                    "Call for advice in several languages (example service).", "", "", "", "2026-10-20",
                    names["ar"], names["ti"], names["fr"], names["fa"], "اتصل للحصول على المشورة بعدة لغات.", "Appelez pour des conseils en plusieurs langues.",
                    "hotline", "true"])
        phone.append([f"ph-{hid}", hid, number, "Free call (example number)"])
        # A hotline has no address: its time zone is given, by its number's country.
        sched.append([f"sch-{hid}", hid, "MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59",
                      {"+30": "Europe/Athens", "+34": "Europe/Madrid", "+39": "Europe/Rome"}[number.split()[0]]])
        for li, code in enumerate(spoken):
            lang.append([f"lang-{hid}-{li}", hid, code])
    write_csv("service.csv", ["id", "organization_id", "name", "description", "email", "url", "fees_description",
                              "assured_date", "name@ar", "name@ti", "name@fr", "name@fa", "description@ar",
                              "description@fr", "x_categories", "x_free"], svc)
    write_csv("location.csv", ["id", "name", "latitude", "longitude"], loc)
    write_csv("address.csv", ["id", "location_id", "address_1", "city", "postal_code", "country"], adr)
    write_csv("service_at_location.csv", ["id", "service_id", "location_id"], sal)
    write_csv("phone.csv", ["id", "service_id", "number", "description"], phone)
    write_csv("schedule.csv", ["id", "service_id", "byday", "opens_at", "closes_at", "timezone"], sched)
    write_csv("language.csv", ["id", "service_id", "code"], lang)
    resources = [{"name": n[:-4], "path": n, "profile": "tabular-data-resource"} for n in
                 ["organization.csv", "service.csv", "location.csv", "address.csv", "service_at_location.csv",
                  "phone.csv", "schedule.csv", "language.csv"]]
    with open(os.path.join(OUT, "services", "datapackage.json"), "w", encoding="utf-8") as f:
        json.dump({"name": "sample-eastern-med-services", "title": "SAMPLE service directory (Open Referral HSDS 3.0)",
                   "profile": "tabular-data-package", "resources": resources}, f, indent=2, ensure_ascii=False)
    return len(svc)


ARTICLES = {
    ("asylum", "asylum-right-to-ask"): {
        "countries": "[GR, IT, ES]", "topics": "[asylum, legal]", "verified": "2026-10-28",
        "en": ("Your right to ask for asylum (sample)", "You can ask for asylum at the border, at a police station or at the asylum office.\nSay clearly: \"I want to ask for asylum.\" You do not need a passport to ask.\nYou have the right to an interpreter and to free legal advice."),
        "ar": ("حَقُّكَ فِي طَلَبِ اللُّجُوء (نموذج)", "يمكنك طلب اللجوء عند الحدود أو في مركز الشرطة أو في مكتب اللجوء.\nقل بوضوح: \"أريد أن أطلب اللجوء\". لا تحتاج إلى جواز سفر لتطلب اللجوء.\nلك الحق في مترجم وفي استشارة قانونية مجانية."),
        "ti": ("መሰልካ ዑቕባ ምሕታት (ኣብነት)", "ኣብ ዶብ፡ ኣብ ጣቢያ ፖሊስ ወይ ኣብ ቤት ጽሕፈት ዑቕባ ዑቕባ ክትሓትት ትኽእል ኢኻ።\nብንጹር ኣዘራርባ፦ \"ዑቕባ ክሓትት እደሊ\" በል። ፓስፖርት ኣየድልየካን።\nተርጓሚን ናጻ ሕጋዊ ምኽርን ናይ ምርካብ መሰል ኣለካ።"),
        "fr": ("Votre droit de demander l'asile (exemple)", "Vous pouvez demander l'asile à la frontière, dans un commissariat ou au bureau de l'asile.\nDites clairement : « Je veux demander l'asile. » Vous n'avez pas besoin de passeport.\nVous avez droit à un interprète et à des conseils juridiques gratuits."),
        "fa": ("حق شما برای درخواست پناهندگی (نمونه)", "شما می‌توانید در مرز، در ایستگاه پلیس یا در دفتر پناهندگی درخواست پناهندگی کنید.\nبه روشنی بگویید: «می‌خواهم درخواست پناهندگی کنم.» برای درخواست به گذرنامه نیاز ندارید.\nشما حق دارید مترجم و مشاوره حقوقی رایگان داشته باشید."),
    },
    ("health", "health-emergency-care"): {
        "countries": "[GR, IT, ES]", "topics": "[health]", "verified": "2026-10-10",
        "en": ("Emergency health care (sample)", "In an emergency call 112. Emergency care at hospitals is given to everyone.\nTake any papers you have, but do not wait for papers in an emergency."),
        "ar": ("الرعاية الصحية الطارئة (نموذج)", "في حالة الطوارئ اتصل بالرقم 112. تُقدَّم الرعاية الطارئة في المستشفيات للجميع.\nخذ معك أي أوراق لديك، لكن لا تنتظر الأوراق في حالة الطوارئ."),
        "ti": ("ህጹጽ ክንክን ጥዕና (ኣብነት)", "ኣብ ህጹጽ ግዜ ናብ 112 ደውል። ኣብ ሆስፒታል ህጹጽ ክንክን ንኹሉ ይወሃብ።"),
        "fr": ("Soins d'urgence (exemple)", "En cas d'urgence, appelez le 112. Les soins d'urgence à l'hôpital sont donnés à tous.\nPrenez vos papiers si vous en avez, mais n'attendez pas en cas d'urgence."),
        "fa": ("مراقبت‌های پزشکی اورژانسی (نمونه)", "در مواقع اضطراری با ۱۱۲ تماس بگیرید. مراقبت اورژانسی در بیمارستان‌ها به همه ارائه می‌شود."),
    },
    ("safety", "safety-documents"): {
        "countries": "[]", "topics": "[safety, family]", "verified": "2026-09-30",
        "en": ("Keep copies of your documents (sample)", "Keep photos of your passport, permits and certificates in a safe place.\nWaymark keeps them encrypted on your phone. Write down your recovery code and keep it apart from the phone."),
        "ar": ("احتفظ بنسخ من وثائقك (نموذج)", "احتفظ بصور جواز سفرك وتصاريحك وشهاداتك في مكان آمن.\nيحفظها Waymark مشفرة على هاتفك. اكتب رمز الاسترداد واحفظه بعيدًا عن الهاتف."),
        "ti": ("ቅዳሕ ሰነዳትካ ሓልው (ኣብነት)", "ስእሊ ፓስፖርትካን ፍቓዳትካን ኣብ ውሑስ ቦታ ሓልው።\nWaymark ብምስጢር ኣብ ተሌፎንካ የቐምጦም።"),
        "fr": ("Gardez des copies de vos documents (exemple)", "Gardez des photos de votre passeport, de vos titres et certificats en lieu sûr.\nWaymark les garde chiffrés sur votre téléphone. Notez votre code de récupération et gardez-le loin du téléphone."),
        "fa": ("از مدارک خود کپی نگه دارید (نمونه)", "از گذرنامه، مجوزها و گواهی‌های خود عکس بگیرید و در جای امن نگه دارید.\nWaymark آنها را به صورت رمزگذاری‌شده روی تلفن شما نگه می‌دارد."),
    },
    ("legal", "police-station"): {
        "countries": "[GR]", "topics": "[legal, asylum]", "verified": "2026-11-02",
        "en": ("If you are taken to a police station (sample)", "You can ask for asylum at the police station. Ask for an interpreter.\nDo not sign papers you do not understand. Ask to call a lawyer."),
        "ar": ("إذا أُخِذتَ إلى مركز الشرطة (نموذج)", "يمكنك طلب اللجوء في مركز الشرطة. اطلب مترجمًا.\nلا توقّع على أوراق لا تفهمها. اطلب الاتصال بمحامٍ."),
    },
}


def articles():
    n = 0
    for (topic, aid), a in ARTICLES.items():
        d = os.path.join(OUT, "articles", topic)
        os.makedirs(d, exist_ok=True)
        for lang in LANGS:
            if lang not in a:
                continue
            title, body = a[lang]
            with open(os.path.join(d, f"{aid}.{lang}.md"), "w", encoding="utf-8") as f:
                f.write(f"---\nid: {aid}\ntitle: \"{title}\"\nlanguage: {lang}\ncountries: {a['countries']}\n"
                        f"topics: {a['topics']}\nverified: {a['verified']}\n---\n{body}\n")
            n += 1
    return n


COUNTRIES = {
    "GR": ({"en": "Greece", "ar": "اليونان", "ti": "ግሪኽ", "fr": "Grèce", "fa": "یونان"}, "Athens"),
    "IT": ({"en": "Italy", "ar": "إيطاليا", "ti": "ኢጣልያ", "fr": "Italie", "fa": "ایتالیا"}, "Rome"),
    "ES": ({"en": "Spain", "ar": "إسبانيا", "ti": "ስጳኛ", "fr": "Espagne", "fa": "اسپانیا"}, "Madrid"),
}


def q(s):
    return json.dumps(s, ensure_ascii=False)


def yaml_map(d):
    return "{" + ", ".join(f"{k}: {q(v)}" for k, v in d.items()) + "}"


def countries():
    os.makedirs(os.path.join(OUT, "countries"), exist_ok=True)
    # Example numbers of a valid length for each country.
    MISSION_PHONE = {"GR": "+30 210 000 0099", "IT": "+39 06 0000 0099", "ES": "+34 91 000 0099"}
    for cc, (names, capital) in COUNTRIES.items():
        asylum = {
            "en": f"General guidance (example): ask for asylum at the border, at a police station or at the asylum service in {names['en']}. You have the right to an interpreter.",
            "ar": f"إرشادات عامة (نموذج): اطلب اللجوء عند الحدود أو في مركز الشرطة أو لدى دائرة اللجوء في {names['ar']}. لك الحق في مترجم.",
            "ti": f"ሓፈሻዊ መምርሒ (ኣብነት)፦ ኣብ {names['ti']} ኣብ ዶብ ወይ ኣብ ጣቢያ ፖሊስ ዑቕባ ሕተት።",
            "fr": f"Indications générales (exemple) : demandez l'asile à la frontière, dans un commissariat ou au service de l'asile en {names['fr']}. Vous avez droit à un interprète.",
            "fa": f"راهنمای کلی (نمونه): در {names['fa']} در مرز، ایستگاه پلیس یا اداره پناهندگی درخواست پناهندگی کنید.",
        }
        rights = {
            "en": "General guidance (example): emergency health care is open to everyone; children have the right to go to school.",
            "ar": "إرشادات عامة (نموذج): الرعاية الصحية الطارئة متاحة للجميع، وللأطفال الحق في الذهاب إلى المدرسة.",
            "fr": "Indications générales (exemple) : les soins d'urgence sont ouverts à tous ; les enfants ont le droit d'aller à l'école.",
        }
        body = (f"code: {cc}\nname: {yaml_map(names)}\nverified: 2026-11-01\nemergency:\n"
                f"  - {{service: general, number: \"112\"}}\n"
                f"missions:\n"
                f"  - {{kind: embassy, of_country: ER, city: {capital}, address: \"1 Example Street (example)\", phone: \"{MISSION_PHONE[cc]}\", url: \"https://example.org/missions/er-{cc.lower()}\"}}\n"
                f"  - {{kind: embassy, of_country: AF, city: {capital}, address: \"2 Example Street (example)\", url: \"https://example.org/missions/af-{cc.lower()}\"}}\n"
                f"asylum: {yaml_map(asylum)}\nrights: {yaml_map(rights)}\n"
                f"links:\n  - {{title: {yaml_map({'en': 'Sample asylum guide', 'ar': 'دليل اللجوء (نموذج)', 'fr': 'Guide de l’asile (exemple)'})}, url: \"https://example.org/guide-{cc.lower()}\"}}\n")
        with open(os.path.join(OUT, "countries", f"{cc}.yaml"), "w", encoding="utf-8") as f:
            f.write(body)
    return len(COUNTRIES)


def place(city_key, cc=None, names=None, lat=None, lon=None):
    for key, cn, c, la, lo, _ in CITIES:
        if key == city_key:
            names, cc, lat, lon = cn, c, la, lo
    return f"{{name: {yaml_map(names)}, country: {cc}, location: {{lat: {lat}, lon: {lon}}}}}"


def routes():
    os.makedirs(os.path.join(OUT, "routes"), exist_ok=True)
    gevgelija = place("", "MK", {"en": "Gevgelija", "ar": "غيفغيليا", "ti": "ገቭገሊያ", "fr": "Guevgueliya", "fa": "گِوگِلیا"}, 41.1392, 22.5025)
    name = {"en": "Lesvos – Athens – Thessaloniki – North Macedonia border (sample)", "ar": "ليسبوس – أثينا – سالونيك – حدود مقدونيا الشمالية (نموذج)",
            "ti": "ሌስቦስ – ኣቴንስ – ተሰሎንቄ – ዶብ ሰሜን መቄዶንያ (ኣብነት)", "fr": "Lesbos – Athènes – Thessalonique – frontière macédonienne (exemple)",
            "fa": "لسبوس – آتن – تسالونیکی – مرز مقدونیه شمالی (نمونه)"}
    body = (f"id: lesvos-athens-thessaloniki\nname: {yaml_map(name)}\nverified: 2026-10-15\nsegments:\n"
            f"  - from: {place('mytilene')}\n    to: {place('athens')}\n    mode: ferry\n"
            f"    notes: {yaml_map({'en': 'Overnight ferry (example schedule). Keep your registration papers with you.', 'ar': 'عبّارة ليلية (جدول نموذجي). احتفظ بأوراق التسجيل معك.'})}\n"
            f"    risks: {yaml_map({'en': 'Crowded decks in summer (example).', 'ar': 'ازدحام في الصيف (نموذج).'})}\n"
            f"  - from: {place('athens')}\n    to: {place('thessaloniki')}\n    mode: train\n"
            f"    notes: {yaml_map({'en': 'About 4-5 hours by train (example).', 'fr': 'Environ 4 à 5 heures en train (exemple).'})}\n"
            f"  - from: {place('thessaloniki')}\n    to: {gevgelija}\n    mode: foot\n    border_crossing: true\n"
            f"    notes: {yaml_map({'en': 'Border area (example guidance): do not follow smugglers; ask for asylum at the official crossing.', 'ar': 'منطقة حدودية (إرشاد نموذجي): لا تتبع المهربين، واطلب اللجوء عند المعبر الرسمي.'})}\n"
            f"    risks: {yaml_map({'en': 'Cold nights, pushbacks reported (example).', 'ar': 'ليالٍ باردة، وتقارير عن عمليات إعادة (نموذج).'})}\n")
    with open(os.path.join(OUT, "routes", "lesvos-athens-thessaloniki.yaml"), "w", encoding="utf-8") as f:
        f.write(body)
    return 1


ALERTS = [
    ("ferry-strike-2026-11", "warning", {"en": "Ferry strike: crossings cancelled (sample)", "ar": "إضراب العبّارات: إلغاء الرحلات (نموذج)", "ti": "ኣድማ መርከብ (ኣብነት)", "fr": "Grève des ferries : traversées annulées (exemple)", "fa": "اعتصاب کشتی‌ها (نمونه)"},
     {"en": "Ferries between the islands and Athens are cancelled (example alert).", "ar": "أُلغيت رحلات العبّارات بين الجزر وأثينا (تنبيه نموذجي)."}, "{countries: [GR]}", "2026-11-01T00:00:00Z", "2099-01-01T00:00:00Z"),
    ("border-fake-opening", "danger", {"en": "False news: the border is NOT open (sample)", "ar": "خبر كاذب: الحدود ليست مفتوحة (نموذج)", "ti": "ሓሶት ዜና፦ ዶብ ክፉት ኣይኮነን (ኣብነት)", "fr": "Fausse nouvelle : la frontière n'est PAS ouverte (exemple)", "fa": "خبر جعلی: مرز باز نیست (نمونه)"},
     {"en": "Messages saying the border is open are false (example). Do not pay anyone to take you there.", "ar": "الرسائل التي تقول إن الحدود مفتوحة كاذبة (نموذج). لا تدفع لأحد ليأخذك إلى هناك."}, "{countries: [GR, MK], bbox: [22.0, 40.8, 23.0, 41.4]}", "2026-11-10T00:00:00Z", None),
    ("winter-shelter-milan", "info", {"en": "Extra winter shelter beds in Milan (sample)", "ar": "أسرّة إضافية للمأوى الشتوي في ميلانو (نموذج)", "ti": "ተወሳኺ ዓራታት ክረምቲ ኣብ ሚላኖ (ኣብነት)", "fr": "Lits d'hiver supplémentaires à Milan (exemple)", "fa": "تخت‌های اضافی سرپناه زمستانی در میلان (نمونه)"},
     {"en": "More beds open every night from 20:00 (example)."}, "{countries: [IT], bbox: [9.0, 45.3, 9.4, 45.6]}", "2026-11-15T00:00:00Z", "2027-03-31T00:00:00Z"),
    ("heatwave-2026-08", "warning", {"en": "Heatwave: drink water, avoid midday sun (sample, expired)", "ar": "موجة حر: اشرب الماء وتجنب شمس الظهيرة (نموذج، منتهٍ)", "ti": "ሃሩር (ኣብነት)", "fr": "Canicule (exemple, expiré)", "fa": "موج گرما (نمونه، منقضی)"},
     {"en": "This alert has expired and must never be shown (example)."}, "{countries: [GR, IT, ES]}", "2026-08-01T00:00:00Z", "2026-08-31T00:00:00Z"),
]


def alerts():
    os.makedirs(os.path.join(OUT, "alerts"), exist_ok=True)
    for aid, sev, title, body, area, start, until in ALERTS:
        text = (f"id: {aid}\nseverity: {sev}\ntitle: {yaml_map(title)}\nbody: {yaml_map(body)}\narea: {area}\n"
                f"valid_from: {start}\n" + f"valid_until: {until or 'none'}\n" + "verified: 2026-11-15\n")
        with open(os.path.join(OUT, "alerts", f"{aid}.yaml"), "w", encoding="utf-8") as f:
            f.write(text)
    return len(ALERTS)


def manifest():
    with open(os.path.join(OUT, "pack.toml"), "w", encoding="utf-8") as f:
        f.write('''# SAMPLE DATA: every organisation, address, phone number and text here is an
# example, except the EU-wide emergency number 112. Regenerate with
# python3 content/samples/make_mediterranean.py
id = "sample-mediterranean"
version = 1
built = "2026-11-20"
sample = true
languages = ["en", "ar", "ti", "fr", "fa"]
fallback = ["en"]

[publisher]
id = "sample-ngo"
name = "Sample NGO (example data)"

[title]
en = "Eastern Mediterranean route — SAMPLE DATA"
ar = "طريق شرق المتوسط — بيانات نموذجية"
ti = "መገዲ ምብራቕ ሜዲትራንያን — ኣብነታዊ ሓበሬታ"
fr = "Route de la Méditerranée orientale — DONNÉES D'EXEMPLE"
fa = "مسیر مدیترانه شرقی — داده‌های نمونه"
''')


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    manifest()
    counts = {"services": services(), "articles": articles(), "countries": countries(), "routes": routes(), "alerts": alerts()}
    print(json.dumps(counts))
