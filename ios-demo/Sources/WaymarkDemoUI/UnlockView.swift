#if canImport(SwiftUI) && os(iOS)
import SwiftUI
import Waymark
import WaymarkDemoCore

/// The lock screen. The duress passphrase goes in the same field and
/// opens the decoy through the same steps: nothing here tells them apart.
struct UnlockView: View {
    @Bindable var unlock: UnlockModel
    let wipe: PanicWipe
    let keystore: (any PlatformKeystore)?
    @Environment(\.strings) private var strings
    @FocusState private var focused: Bool

    var body: some View {
        NavigationStack {
            Form {
                Section {
                    switch unlock.mode {
                    case .passphrase: passphraseForm
                    case .recovery: recoveryForm
                    }
                    MessageView(text: unlock.message)
                    if let countdown = unlock.countdownText {
                        Label(countdown, systemImage: "hourglass")
                            .font(.headline.monospacedDigit())
                            .accessibilityAddTraits(.updatesFrequently)
                    }
                }
                Section {
                    PanicWipeButton(wipe: wipe)
                }
            }
            .navigationTitle(strings[.unlockTitle])
        }
    }

    @ViewBuilder private var passphraseForm: some View {
        SecureField(strings[.passphrase], text: $unlock.passphrase)
            .textContentType(.password)
            .focused($focused)
            .onSubmit { Task { await unlock.unlock() } }
            .onAppear { focused = true }
        Button {
            Task { await unlock.unlock() }
        } label: {
            if unlock.isWorking { ProgressView() } else { Text(strings[.unlock]) }
        }
        .disabled(!unlock.canSubmit)
        if unlock.offersBiometrics, let keystore {
            Button {
                Task { await unlock.unlock(with: keystore) }
            } label: {
                Label(strings[.useBiometrics], systemImage: "faceid")
            }
            .disabled(unlock.isWorking)
        }
        Button(strings[.forgotPassphrase]) { unlock.mode = .recovery }
    }

    @ViewBuilder private var recoveryForm: some View {
        TextField(strings[.recoveryCode], text: $unlock.recoveryCode)
            .textInputAutocapitalization(.characters)
            .autocorrectionDisabled()
            .font(.body.monospaced())
            .environment(\.layoutDirection, .leftToRight)
        SecureField(strings[.newPassphrase], text: $unlock.newPassphrase)
            .textContentType(.newPassword)
        if !unlock.newPassphrase.isEmpty {
            Text(PassphraseStrength.assess(unlock.newPassphrase).hint(strings)).font(.callout)
        }
        Button(strings[.recover]) { Task { await unlock.recover() } }
            .disabled(!unlock.canSubmit)
        Button(strings[.backToPassphrase]) { unlock.mode = .passphrase }
    }
}
#endif
