package org.waymark.demo.platform

import android.app.Activity
import android.content.pm.PackageManager
import android.hardware.biometrics.BiometricPrompt
import android.os.Build
import android.os.CancellationSignal
import kotlinx.coroutines.launch
import org.waymark.demo.i18n.Texts
import org.waymark.ktx.AndroidKeystore

/**
 * Fingerprint unlock through the framework's `BiometricPrompt` (API 28+;
 * below it the offer is not made) and the bindings' [AndroidKeystore]: a
 * key that needs a strong biometric for every use, invalidated by a new
 * enrolment. The passphrase always works too.
 *
 * Not verified here: Robolectric has no Android Keystore provider and no
 * biometric hardware (README).
 */
internal object Biometrics {
    /** True where the offer can be made. */
    fun available(activity: Activity): Boolean =
        Build.VERSION.SDK_INT >= 28 && activity.packageManager.hasSystemFeature(PackageManager.FEATURE_FINGERPRINT)

    /** True once fingerprint unlock was turned on. */
    fun enabled(activity: Activity): Boolean = available(activity) && AndroidKeystore(activity).isEnabled

    /** Forgets the fingerprint key and its wrapped secret (panic wipe). */
    fun forget(activity: Activity) {
        if (available(activity)) runCatching { AndroidKeystore(activity).forget() }
    }

    /** Turns fingerprint unlock on (the vault unlocked), then [done] whatever happened. */
    fun enable(activity: Activity, texts: Texts, done: () -> Unit) {
        if (Build.VERSION.SDK_INT < 28) return done()
        val keystore = AndroidKeystore(activity)
        Api28.prompt(activity, texts, keystore, onSuccess = {
            Graph.appScope.launch {
                runCatching { Graph.session(activity).vault?.enableKeystoreUnlock(keystore) }
                done()
            }
        }, onFailure = done)
    }

    /** Unlocks with the fingerprint; [done] says whether the vault opened. */
    fun unlock(activity: Activity, texts: Texts, done: (Boolean) -> Unit) {
        if (Build.VERSION.SDK_INT < 28) return done(false)
        val keystore = AndroidKeystore(activity)
        Api28.prompt(activity, texts, keystore, onSuccess = {
            Graph.appScope.launch {
                val opened = runCatching { Graph.session(activity).openVault().unlockWithKeystore(keystore) }.isSuccess
                done(opened)
            }
        }, onFailure = { done(false) })
    }

    private object Api28 {
        @SinceApi(28)
        fun prompt(activity: Activity, texts: Texts, keystore: AndroidKeystore, onSuccess: () -> Unit, onFailure: () -> Unit) {
            val cipher = try {
                keystore.cipherForPrompt()
            } catch (e: Exception) {
                return onFailure()
            }
            val prompt = BiometricPrompt.Builder(activity)
                .setTitle(texts.biometricTitle)
                .setNegativeButton(texts.cancel, activity.mainExecutor) { _, _ -> onFailure() }
                .build()
            prompt.authenticate(
                BiometricPrompt.CryptoObject(cipher), CancellationSignal(), activity.mainExecutor,
                object : BiometricPrompt.AuthenticationCallback() {
                    override fun onAuthenticationSucceeded(result: BiometricPrompt.AuthenticationResult) {
                        val authenticated = result.cryptoObject?.cipher ?: return onFailure()
                        keystore.authenticated(authenticated)
                        onSuccess()
                    }

                    override fun onAuthenticationError(errorCode: Int, errString: CharSequence?) = onFailure()
                },
            )
        }
    }
}
