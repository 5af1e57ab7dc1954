/// Every text of the app, by name. Each language's table
/// (`Strings+<language>.swift`) has every key; `{name}` placeholders are
/// the same in every language.
public enum L10nKey: String, CaseIterable, Sendable {
    // App and tabs
    case appName, tabDocuments, tabInformation, tabPacks, tabSync, tabSettings
    case cancel, save, delete, done, close, continueButton, tryAgain
    // First run
    case welcome, chooseLanguage, createVaultTitle, createVaultExplain, passphrase, repeatPassphrase
    case createVault, passphrasesDiffer
    case strengthTooShort, strengthWeak, strengthFair, strengthStrong
    case recoveryCodeTitle, recoveryCodeExplain, iWroteItDown
    case confirmCodeTitle, typeGroup, recoveryGroupsWrong, showCodeAgain
    case biometricsTitle, biometricsExplain, enableBiometrics, notNow
    // Unlock
    case unlockTitle, unlock, useBiometrics, forgotPassphrase, recoveryCode, newPassphrase, recover
    case backToPassphrase, wrongPassphrase, wrongPassphraseWait, tooManyAttempts, waitBeforeTrying
    case tryAgainIn, recoveryCodeWrong, lockNow
    // Panic wipe
    case panicWipe, panicWipeExplain, panicWipeConfirm, wipedTitle, wipedExplain
    // Documents
    case documentsEmpty, addDocument, fromCamera, fromFiles, fromPhotos
    case documentTitle, documentKind, expiresOn, issuingCountry, documentNumber, notes, editDocument
    case deleteConfirm, export, exportWarning, exportAnyway, documentStored, noPlaintextNote
    case badgeExpired, badgeExpiresToday, badgeExpiresInDays
    case kindPassport, kindNationalId, kindResidencePermit, kindVisa, kindBirthCertificate
    case kindMarriageCertificate, kindMedical, kindEducation, kindTravelTicket, kindOther
    // Information
    case searchPlaceholder, noResults, showingResultsFor, sampleMark, staleMark, staleExplain
    case verifiedToday, verifiedYesterday, verifiedDaysAgo, packVersion
    case readAloud, stopReading, country, emergencyNumbers, asylum, rights
    case nearby, nearbyExplain, findNearby, nothingNearby, locationUnavailable
    case openNow, closedNow, hoursUnknown, free, notFree, languagesSpoken, call
    case routes, routesPlace, alerts, noAlerts, noInformation
    case severityInfo, severityWarning, severityDanger
    // Packs and trust
    case trustedPublishers, addPublisher, addPublisherExplain, pasteCard, chooseCardFile
    case fingerprint, compareFingerprint, fingerprintMatches, fingerprintDiffers, removePublisher
    case removePublisherConfirm, installedPacks, noPacks, installFromFile, sharePack, packInstalled
    // Sync
    case syncTitle, checkForUpdates, planExplain, upToDate, publisherUnreachable, total
    case startSync, budgetPrompt, downloadAll, onlyWhatFits, offline, cancelSync
    case syncChecking, syncDownloading, syncInstalling, syncDone, syncWaiting, syncSomeFailed, syncCancelled, nothingChanged
    case backgroundSyncNote
    case kilobytes, megabytes, metres, kilometres
    // Settings and safety
    case autoLock, minutes, lockWhenLeaving, hideInAppSwitcher, dataBudget, dataBudgetExplain
    case proxy, proxyExplain, proxyInvalid, language, newRecoveryCode
    case duressTitle, duressExplain, duressPassphrase, destroyReal, setDuress, removeDuress, duressSet, duressRemoved
    case neverDoesTitle, neverSendsDocuments, neverTracks, neverSharesLocation, neverAds, neverAccount
    // Errors
    case errorLocked, errorNotFound, errorInvalidInput, errorIntegrity, errorNetwork, errorNetworkRetry
    case errorStorageFull, errorKeystore, errorCancelled, errorInternal
}
