#if canImport(Security) && canImport(LocalAuthentication)
import LocalAuthentication
import Security
import Testing
@testable import Waymark

/// Where `Security` exists (not on Linux): the numbers the error mapping
/// uses are the SDK's.
@Suite("Keychain constants", .failsWhenStuck)
struct KeychainConstantsTests {
    @Test func statusesAreSecuritys() {
        #expect(KeychainStatus.success == errSecSuccess)
        #expect(KeychainStatus.userCanceled == errSecUserCanceled)
        #expect(KeychainStatus.notAvailable == errSecNotAvailable)
        #expect(KeychainStatus.authFailed == errSecAuthFailed)
        #expect(KeychainStatus.itemNotFound == errSecItemNotFound)
        #expect(KeychainStatus.interactionNotAllowed == errSecInteractionNotAllowed)
        #expect(KeychainStatus.decode == errSecDecode)
        #expect(KeychainStatus.missingEntitlement == errSecMissingEntitlement)
    }

    @Test func localAuthenticationCodesAreLAErrors() {
        #expect(LocalAuthenticationCode.authenticationFailed == LAError.Code.authenticationFailed.rawValue)
        #expect(LocalAuthenticationCode.userCancel == LAError.Code.userCancel.rawValue)
        #expect(LocalAuthenticationCode.userFallback == LAError.Code.userFallback.rawValue)
        #expect(LocalAuthenticationCode.systemCancel == LAError.Code.systemCancel.rawValue)
        #expect(LocalAuthenticationCode.passcodeNotSet == LAError.Code.passcodeNotSet.rawValue)
        #expect(LocalAuthenticationCode.biometryNotAvailable == LAError.Code.biometryNotAvailable.rawValue)
        #expect(LocalAuthenticationCode.biometryNotEnrolled == LAError.Code.biometryNotEnrolled.rawValue)
        #expect(LocalAuthenticationCode.biometryLockout == LAError.Code.biometryLockout.rawValue)
        #expect(LocalAuthenticationCode.appCancel == LAError.Code.appCancel.rawValue)
        #expect(LocalAuthenticationCode.invalidContext == LAError.Code.invalidContext.rawValue)
        #expect(LocalAuthenticationCode.notInteractive == LAError.Code.notInteractive.rawValue)
        #expect(LAErrorDomain == "com.apple.LocalAuthentication")
    }
}
#endif
