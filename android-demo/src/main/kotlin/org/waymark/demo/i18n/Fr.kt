package org.waymark.demo.i18n

/** French. */
public object Fr : Texts() {
    override val appName = "Waymark"
    override val back = "Retour"
    override val cancel = "Annuler"
    override val save = "Enregistrer"
    override val delete = "Supprimer"
    override val tryAgain = "Réessayer"
    override val next = "Suivant"

    override val errorGeneric = "Un problème est survenu. Rien n'a changé. Réessayez."
    override val errorRefused = "Ceci n'a pas été accepté. Rien n'a changé."
    override val errorNotFound = "Ceci n'existe plus."
    override val errorStorageFull = "Le téléphone est plein. Libérez de la place et réessayez. Rien n'est perdu."
    override val errorNetwork = "Pas de connexion. Rien n'est perdu. Réessayez plus tard."

    override val chooseLanguage = "Choisissez votre langue"
    override val welcomeTitle = "Gardez vos papiers en sécurité"
    override val welcomeBody = "Vos papiers sont verrouillés par une phrase secrète que vous seul connaissez. Rien ne quitte ce téléphone sans que vous l'envoyiez."
    override val choosePassphrase = "Choisissez une phrase secrète"
    override val passphraseAdvice = "Quelques mots dont vous vous souviendrez. Plus c'est long, plus c'est sûr."
    override val passphraseAgain = "Tapez-la encore une fois"
    override val strengthTooShort = "Trop courte"
    override val strengthWeak = "Facile à deviner : ajoutez un mot"
    override val strengthFair = "Bien"
    override val strengthStrong = "Très bien"
    override val passphrasesDiffer = "Les deux phrases ne sont pas pareilles."
    override val createSafe = "Créer mon coffre"
    override val working = "Patientez…"
    override val recoveryTitle = "Votre code de secours"
    override val recoveryBody = "Écrivez ce code sur papier. Gardez le papier loin du téléphone. Si vous oubliez votre phrase secrète, ce code ouvre votre coffre. Il n'est montré qu'une fois."
    override val recoveryCheckTitle = "Vérifiez votre papier"
    override fun recoveryCheckBody(a: Int, b: Int) = "Tapez le groupe $a et le groupe $b du code écrit sur votre papier."
    override fun group(n: Int) = "Groupe $n"
    override val iWroteItDown = "Je l'ai écrit"
    override val recoveryMismatch = "Ça ne correspond pas. Regardez votre papier et réessayez."
    override val biometricTitle = "Ouvrir avec votre empreinte ?"
    override val biometricBody = "Vous pouvez ouvrir le coffre avec votre empreinte. Votre phrase secrète marchera toujours."
    override val biometricYes = "Utiliser mon empreinte"
    override val notNow = "Pas maintenant"

    override val unlockTitle = "Ouvrez votre coffre"
    override val passphrase = "Phrase secrète"
    override val open = "Ouvrir"
    override fun wrongPassphrase(attempts: Int) = "Phrase secrète fausse. Essais : $attempts."
    override fun waitSeconds(seconds: Long) = "Attendez ${plural(seconds, "seconde")}, puis réessayez."
    override val forgotPassphrase = "J'ai oublié ma phrase secrète"
    override val recoveryCode = "Code de secours (sur votre papier)"
    override val newPassphrase = "Nouvelle phrase secrète"
    override val openWithCode = "Ouvrir avec le code"
    override val recoveryInvalid = "Ce code n'est pas bon. Vérifiez chaque groupe et réessayez."
    override val eraseEverything = "Tout effacer"
    override val eraseTitle = "Effacer tous les papiers ?"
    override val eraseBody = "Tous les papiers du coffre seront effacés de ce téléphone pour toujours. On ne peut pas revenir en arrière."
    override val eraseNow = "Effacer maintenant"
    override val erased = "Tout a été effacé."

    override val myDocuments = "Mes papiers"
    override val information = "Informations"
    override val packs = "Paquets d'informations"
    override val update = "Mettre à jour"
    override val settings = "Réglages"
    override val lock = "Verrouiller"

    override val noDocuments = "Aucun papier pour l'instant. Prenez une photo ou choisissez un fichier."
    override val takePhoto = "Prendre une photo"
    override val chooseFile = "Choisir un fichier"
    override val expired = "Expiré"
    override fun expiresIn(days: Long) = if (days == 0L) "Expire aujourd'hui" else "Expire dans ${plural(days, "jour")}"
    override val kindNames = listOf(
        "Passeport", "Visa", "Titre de séjour", "Carte d'identité", "Acte de naissance",
        "Acte de mariage", "Médical", "Études", "Billet de voyage", "Autre",
    )
    override val nameLabel = "Nom"
    override val typeLabel = "Type"
    override val numberLabel = "Numéro"
    override val expiryLabel = "Date d'expiration (année-mois-jour)"
    override val countryLabel = "Pays (2 lettres, ex. GN)"
    override val notesLabel = "Notes"
    override val saved = "Enregistré."
    override val added = "Papier ajouté."
    override val nothingAdded = "Rien n'a été ajouté."
    override val dateInvalid = "Écrivez la date comme 2027-03-01."
    override val deleteTitle = "Supprimer ce papier ?"
    override val deleteBody = "Il sera retiré de ce téléphone."
    override val saveCopy = "Enregistrer une copie hors du coffre"
    override val copyWarning = "La copie ne sera PAS protégée. Quiconque a ce téléphone ou le fichier peut la lire."
    override val copyConfirm = "J'ai compris, enregistrer une copie"
    override val copySaved = "Copie enregistrée."
    override val cannotShow = "Ce fichier ne peut pas être affiché ici."
    override val details = "Détails"

    override val searchHint = "Chercher : avocat, hébergement, médecin…"
    override val noResults = "Rien trouvé. Essayez d'autres mots."
    override val noInformation = "Aucune information sur ce téléphone. Ajoutez un paquet dans Paquets d'informations."
    override val sample = "EXEMPLE : informations fictives"
    override val stale = "ANCIEN : vérifiez avant de vous y fier"
    override fun provenance(publisher: String, version: Long, days: Long) =
        if (days == 0L) "$publisher · v$version · vérifié aujourd'hui" else "$publisher · v$version · vérifié il y a ${plural(days, "jour")}"
    override fun inLanguage(name: String) = "En $name"
    override val readAloud = "Lire à voix haute"
    override val stopReading = "Arrêter la lecture"
    override val noVoice = "Pas de voix pour cette langue sur ce téléphone."
    override val countryProfile = "Pays"
    override val emergencyNumbers = "Numéros d'urgence"
    override val nearby = "Aide près de moi"
    override val findNearby = "Trouver de l'aide près de moi"
    override val locationPromise = "Votre position est lue une fois, sur ce téléphone. Elle n'est jamais gardée ni envoyée."
    override val noLocation = "Position indisponible. Activez-la et réessayez."
    override val openNow = "Ouvert maintenant"
    override val closedNow = "Fermé maintenant"
    override val free = "Gratuit"
    override fun speaks(languages: String) = "Langues : $languages"
    override val routes = "Itinéraires"
    override val routePlace = "Ville"
    override val borderCrossing = "Passage de frontière"
    override val alerts = "Alertes"
    override val noAlerts = "Aucune alerte en ce moment."
    override val severityNames = listOf("Information", "Attention", "Danger")
    override fun mode(mode: String) = mapOf("ferry" to "ferry", "boat" to "bateau", "bus" to "bus", "train" to "train", "foot" to "à pied", "walk" to "à pied", "car" to "voiture")[mode] ?: mode
    override fun emergency(service: String) = mapOf("general" to "Urgences", "police" to "Police", "ambulance" to "Ambulance", "fire" to "Pompiers", "coastguard" to "Garde-côtes")[service] ?: service

    override val trustedPublishers = "Organisations de confiance"
    override val fingerprint = "Empreinte"
    override val compareFingerprint = "Comparez avec l'empreinte donnée par l'organisation. Chaque caractère doit être le même."
    override val fingerprintMatches = "C'est la même"
    override val fingerprintDiffers = "Elle est différente : retirer"
    override val addPublisherFile = "Ajouter depuis un fichier"
    override val pasteCard = "Coller une carte"
    override val trust = "Faire confiance"
    override val remove = "Retirer"
    override val installedPacks = "Informations sur ce téléphone"
    override val installFromFile = "Installer depuis un fichier"
    override val share = "Partager"
    override fun installedPack(title: String) = "Installé : $title"
    override val installFailed = "Ce fichier n'a pas pu être installé. Rien n'a changé."
    override val noPublishers = "Vous ne faites confiance à aucune organisation pour l'instant."

    override val checkUpdates = "Chercher des mises à jour"
    override val upToDate = "Tout est à jour."
    override fun willDownload(size: String) = "Ceci téléchargera $size."
    override fun metered(size: String) = "Vous êtes sur les données mobiles. Ceci utilisera $size de votre forfait."
    override val download = "Télécharger"
    override val downloadAnyway = "Télécharger quand même"
    override val stopped = "Arrêté. Rien n'est perdu. Cela reprendra la prochaine fois."
    override fun syncDone(packs: Int) = "Terminé. Mis à jour : $packs."
    override fun changed(kind: String, change: Change, n: Long): String {
        // Past participles agree: service, article, pays, itinéraire are
        // masculine, alerte feminine; "pays" does not change in the plural.
        val many = n > 1L
        val (noun, feminine) = when (kind) {
            "service" -> plural(n, "service") to false
            "article" -> plural(n, "article") to false
            "country" -> "$n pays" to false
            "route" -> plural(n, "itinéraire") to false
            "alert" -> plural(n, "alerte") to true
            else -> "$n $kind" to false
        }
        val ending = (if (feminine) "e" else "") + (if (many) "s" else "")
        val verb = when (change) {
            Change.ADDED -> "ajouté$ending"
            Change.UPDATED -> (if (feminine) "mise" + (if (many) "s" else "") else "mis") + " à jour"
            Change.REMOVED -> "supprimé$ending"
        }
        return "$noun $verb"
    }
    override val nothingChanged = "Rien n'a changé."
    override val listSeparator = ", "
    override val backgroundUpdate = "Mettre à jour tout seul"
    override val onlyWifi = "Seulement en Wi-Fi"
    override val onlyCharging = "Seulement en charge"
    override val useOrbot = "Passer par Orbot (Tor)"
    override val dataLimit = "Limite de données par mise à jour"
    override val noLimit = "Sans limite"

    override val autoLock = "Verrouiller après"
    override fun minutes(n: Int) = if (n == 1) "1 minute" else "$n minutes"
    override val lockOnLeave = "Verrouiller quand je quitte l'appli"
    override val duressTitle = "Deuxième phrase pour le danger"
    override val duressBody = "Elle ouvre un coffre vide qui a l'air vrai. Utilisez-la si quelqu'un vous force à ouvrir l'appli."
    override val setDuress = "Choisir la deuxième phrase"
    override val duressSet = "Deuxième phrase enregistrée."
    override val language = "Langue"
    override val neverTitle = "Ce que cette appli ne fait jamais"
    override val neverBody = "Pas de pistage. Pas de publicité. Pas d'identifiants. Votre position ne quitte jamais ce téléphone. Vos papiers restent sur ce téléphone, verrouillés, sauf si vous les envoyez."

    private fun plural(n: Long, word: String) = if (n <= 1L) "$n $word" else "$n ${word}s"
}
