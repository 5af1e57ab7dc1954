package org.waymark.demo.i18n

/** Arabic (not yet checked by a native speaker). */
public object Ar : Texts() {
    override val appName = "وايمارك"
    override val back = "رجوع"
    override val cancel = "إلغاء"
    override val save = "حفظ"
    override val delete = "حذف"
    override val tryAgain = "حاول مرة أخرى"
    override val next = "التالي"

    override val errorGeneric = "حدث خطأ. لم يتغير شيء. حاول مرة أخرى."
    override val errorRefused = "لم يُقبل هذا. لم يتغير شيء."
    override val errorNotFound = "هذا لم يعد موجودًا."
    override val errorStorageFull = "ذاكرة الهاتف ممتلئة. أفرغ بعض المساحة وحاول مرة أخرى. لم يضع شيء."
    override val errorNetwork = "لا يوجد اتصال. لم يضع شيء. حاول لاحقًا."

    override val chooseLanguage = "اختر لغتك"
    override val welcomeTitle = "احفظ وثائقك بأمان"
    override val welcomeBody = "وثائقك مقفلة بعبارة سر لا يعرفها غيرك. لا يخرج شيء من هذا الهاتف إلا إذا أرسلته أنت."
    override val choosePassphrase = "اختر عبارة سر"
    override val passphraseAdvice = "استعمل بضع كلمات تتذكرها. كلما كانت أطول كانت أكثر أمانًا."
    override val passphraseAgain = "اكتبها مرة أخرى"
    override val strengthTooShort = "قصيرة جدًا"
    override val strengthWeak = "سهلة التخمين: أضف كلمة"
    override val strengthFair = "جيدة"
    override val strengthStrong = "جيدة جدًا"
    override val passphrasesDiffer = "العبارتان غير متطابقتين."
    override val createSafe = "أنشئ خزنتي"
    override val working = "انتظر قليلًا…"
    override val recoveryTitle = "رمز الاسترداد"
    override val recoveryBody = "اكتب هذا الرمز على ورقة واحفظها بعيدًا عن الهاتف. إذا نسيت عبارة السر فهذا الرمز يفتح خزنتك. لن يظهر إلا مرة واحدة."
    override val recoveryCheckTitle = "تحقق من ورقتك"
    override fun recoveryCheckBody(a: Int, b: Int) = "اكتب المجموعة $a والمجموعة $b من الرمز المكتوب على ورقتك."
    override fun group(n: Int) = "المجموعة $n"
    override val iWroteItDown = "كتبته"
    override val recoveryMismatch = "غير مطابق. انظر إلى ورقتك وحاول مرة أخرى."
    override val biometricTitle = "الفتح ببصمة الإصبع؟"
    override val biometricBody = "يمكنك فتح الخزنة ببصمتك. ستبقى عبارة السر صالحة."
    override val biometricYes = "استعمل بصمتي"
    override val notNow = "ليس الآن"

    override val unlockTitle = "افتح خزنتك"
    override val passphrase = "عبارة السر"
    override val open = "افتح"
    override fun wrongPassphrase(attempts: Int) = "عبارة السر خاطئة. عدد المحاولات: $attempts."
    override fun waitSeconds(seconds: Long) = "انتظر ${count(seconds, "ثانية واحدة", "ثانيتين", "ثوانٍ", "ثانية")} ثم حاول مرة أخرى."
    override val forgotPassphrase = "نسيت عبارة السر"
    override val recoveryCode = "رمز الاسترداد (من ورقتك)"
    override val newPassphrase = "عبارة سر جديدة"
    override val openWithCode = "افتح بالرمز"
    override val recoveryInvalid = "الرمز غير صحيح. تحقق من كل مجموعة وحاول مرة أخرى."
    override val eraseEverything = "امسح كل شيء"
    override val eraseTitle = "مسح كل الوثائق؟"
    override val eraseBody = "ستُحذف كل وثيقة في الخزنة من هذا الهاتف إلى الأبد. لا يمكن التراجع عن ذلك."
    override val eraseNow = "امسح الآن"
    override val erased = "تم مسح كل شيء."

    override val myDocuments = "وثائقي"
    override val information = "معلومات"
    override val packs = "حزم المعلومات"
    override val update = "تحديث"
    override val settings = "الإعدادات"
    override val lock = "قفل"

    override val noDocuments = "لا توجد وثائق بعد. التقط صورة أو اختر ملفًا."
    override val takePhoto = "التقط صورة"
    override val chooseFile = "اختر ملفًا"
    override val expired = "منتهية"
    override fun expiresIn(days: Long) = if (days == 0L) "تنتهي اليوم" else "تنتهي بعد ${count(days, "يوم واحد", "يومين", "أيام", "يومًا")}"
    override val kindNames = listOf(
        "جواز سفر", "تأشيرة", "تصريح إقامة", "بطاقة هوية", "شهادة ميلاد",
        "عقد زواج", "طبية", "تعليم", "تذكرة سفر", "أخرى",
    )
    override val nameLabel = "الاسم"
    override val typeLabel = "النوع"
    override val numberLabel = "الرقم"
    override val expiryLabel = "تاريخ الانتهاء (سنة-شهر-يوم)"
    override val countryLabel = "البلد (حرفان، مثل SY)"
    override val notesLabel = "ملاحظات"
    override val saved = "تم الحفظ."
    override val added = "أضيفت الوثيقة."
    override val nothingAdded = "لم يُضف شيء."
    override val dateInvalid = "اكتب التاريخ هكذا: 2027-03-01."
    override val deleteTitle = "حذف هذه الوثيقة؟"
    override val deleteBody = "ستُزال من هذا الهاتف."
    override val saveCopy = "احفظ نسخة خارج الخزنة"
    override val copyWarning = "النسخة لن تكون محمية. كل من لديه هذا الهاتف أو الملف يستطيع قراءتها."
    override val copyConfirm = "فهمت، احفظ نسخة"
    override val copySaved = "حُفظت النسخة."
    override val cannotShow = "لا يمكن عرض هذا الملف هنا."
    override val details = "التفاصيل"

    override val searchHint = "ابحث: محامٍ، مأوى، طبيب…"
    override val noResults = "لم يُعثر على شيء. جرّب كلمات أخرى."
    override val noInformation = "لا توجد معلومات على هذا الهاتف بعد. أضف حزمة من حزم المعلومات."
    override val sample = "عيّنة: ليست معلومات حقيقية"
    override val stale = "قديمة: تحقق منها قبل الاعتماد عليها"
    override fun provenance(publisher: String, version: Long, days: Long) =
        "$publisher · الإصدار $version · تم التحقق قبل ${count(days, "يوم واحد", "يومين", "أيام", "يومًا")}"
    override fun inLanguage(name: String) = "باللغة: $name"
    override val readAloud = "اقرأ بصوت عالٍ"
    override val stopReading = "أوقف القراءة"
    override val noVoice = "لا يوجد صوت لهذه اللغة على هذا الهاتف."
    override val countryProfile = "البلد"
    override val emergencyNumbers = "أرقام الطوارئ"
    override val nearby = "مساعدة قريبة مني"
    override val findNearby = "ابحث عن مساعدة قريبة"
    override val locationPromise = "يُقرأ موقعك مرة واحدة على هذا الهاتف. لا يُحفظ ولا يُرسل أبدًا."
    override val noLocation = "الموقع غير متاح. شغّله وحاول مرة أخرى."
    override val openNow = "مفتوح الآن"
    override val closedNow = "مغلق الآن"
    override val free = "مجاني"
    override fun speaks(languages: String) = "اللغات: $languages"
    override val routes = "الطرق"
    override val routePlace = "البلدة أو المدينة"
    override val borderCrossing = "عبور حدود"
    override val alerts = "تنبيهات"
    override val noAlerts = "لا توجد تنبيهات الآن."
    override val severityNames = listOf("معلومة", "تحذير", "خطر")
    override fun mode(mode: String) = mapOf("ferry" to "عبّارة", "boat" to "قارب", "bus" to "حافلة", "train" to "قطار", "foot" to "سيرًا على الأقدام", "walk" to "سيرًا على الأقدام", "car" to "سيارة")[mode] ?: mode
    override fun emergency(service: String) = mapOf("general" to "الطوارئ", "police" to "الشرطة", "ambulance" to "الإسعاف", "fire" to "الإطفاء", "coastguard" to "خفر السواحل")[service] ?: service

    override val trustedPublishers = "المنظمات التي تثق بها"
    override val fingerprint = "البصمة"
    override val compareFingerprint = "قارنها بالبصمة التي أعطتك إياها المنظمة. يجب أن يتطابق كل حرف."
    override val fingerprintMatches = "إنها مطابقة"
    override val fingerprintDiffers = "إنها مختلفة: أزلها"
    override val addPublisherFile = "أضف من ملف"
    override val pasteCard = "الصق بطاقة"
    override val trust = "ثق بها"
    override val remove = "إزالة"
    override val installedPacks = "المعلومات على هذا الهاتف"
    override val installFromFile = "ثبّت من ملف"
    override val share = "مشاركة"
    override fun installedPack(title: String) = "تم التثبيت: $title"
    override val installFailed = "تعذّر تثبيت هذا الملف. لم يتغير شيء."
    override val noPublishers = "لا تثق بأي منظمة بعد."

    override val checkUpdates = "ابحث عن تحديثات"
    override val upToDate = "كل شيء محدّث."
    override fun willDownload(size: String) = "سيتم تنزيل $size."
    override fun metered(size: String) = "أنت على بيانات الهاتف. سيستهلك هذا $size من باقتك."
    override val download = "نزّل"
    override val downloadAnyway = "نزّل على أي حال"
    override val stopped = "توقف. لم يضع شيء. سيكمل في المرة القادمة."
    override fun syncDone(packs: Int) = "انتهى. تم تحديث: $packs."
    override fun changed(kind: String, change: Change, n: Long): String {
        // "تمت إضافة 3 خدمات": the verbal noun needs no agreement with the count.
        val noun = when (kind) {
            "service" -> count(n, "خدمة واحدة", "خدمتين", "خدمات", "خدمة")
            "article" -> count(n, "مقالة واحدة", "مقالتين", "مقالات", "مقالة")
            "country" -> count(n, "بلد واحد", "بلدين", "بلدان", "بلدًا")
            "route" -> count(n, "طريق واحد", "طريقين", "طرق", "طريقًا")
            "alert" -> count(n, "تنبيه واحد", "تنبيهين", "تنبيهات", "تنبيهًا")
            else -> "$n $kind"
        }
        return when (change) {
            Change.ADDED -> "تمت إضافة $noun"
            Change.UPDATED -> "تم تحديث $noun"
            Change.REMOVED -> "تمت إزالة $noun"
        }
    }
    override val nothingChanged = "لم يتغير شيء."
    override val listSeparator = "، "
    override val backgroundUpdate = "حدّث تلقائيًا"
    override val onlyWifi = "على الواي فاي فقط"
    override val onlyCharging = "أثناء الشحن فقط"
    override val useOrbot = "عبر أوربوت (تور)"
    override val dataLimit = "حد البيانات لكل تحديث"
    override val noLimit = "بلا حد"

    override val autoLock = "اقفل بعد"
    override fun minutes(n: Int) = count(n.toLong(), "دقيقة واحدة", "دقيقتين", "دقائق", "دقيقة")
    override val lockOnLeave = "اقفل عند مغادرة التطبيق"
    override val duressTitle = "عبارة سر ثانية للخطر"
    override val duressBody = "تفتح خزنة فارغة تبدو حقيقية. استعملها إذا أجبرك أحد على فتح التطبيق."
    override val setDuress = "اضبط العبارة الثانية"
    override val duressSet = "تم ضبط العبارة الثانية."
    override val language = "اللغة"
    override val neverTitle = "ما لا يفعله هذا التطبيق أبدًا"
    override val neverBody = "لا تتبّع. لا إعلانات. لا معرّفات. موقعك لا يغادر هذا الهاتف أبدًا. وثائقك تبقى على هذا الهاتف مقفلة إلا إذا أرسلتها أنت."

    /** Arabic counting: one, two, 3–10 (plural), 11 and more (singular accusative). */
    private fun count(n: Long, one: String, two: String, few: String, many: String): String = when {
        n == 1L -> one
        n == 2L -> two
        n % 100 in 3..10 -> "$n $few"
        else -> "$n $many"
    }
}
