#if canImport(SwiftUI) && os(iOS)
import SwiftUI
import Waymark
import WaymarkDemoCore

/// The first run: language, passphrase (with a strength hint, no rules
/// about capitals or digits), the recovery code shown once, two of its
/// groups typed back, then biometric unlock offered.
struct FirstRunView: View {
    @Bindable var run: FirstRunModel
    let keystore: (any PlatformKeystore)?
    @Environment(\.strings) private var strings

    var body: some View {
        NavigationStack {
            ScrollView {
                VStack(alignment: .leading, spacing: 20) {
                    switch run.step {
                    case .language: languageStep
                    case .passphrase: passphraseStep
                    case .recoveryCode: recoveryCodeStep
                    case .confirmCode: confirmStep
                    case .biometrics, .done: biometricsStep
                    }
                    MessageView(text: run.message)
                }
                .padding()
                .frame(maxWidth: 600, alignment: .leading)
            }
        }
    }

    private var languageStep: some View {
        VStack(alignment: .leading, spacing: 12) {
            Text(strings[.welcome]).font(.title2.bold())
            Text(strings[.chooseLanguage]).font(.headline)
            ForEach(AppLanguage.allCases) { language in
                Button {
                    run.choose(language)
                } label: {
                    // Each name in its own script and direction.
                    Text(language.nativeName)
                        .font(.title3)
                        .frame(maxWidth: .infinity, alignment: .leading)
                        .environment(\.layoutDirection, language.layoutDirection)
                }
                .buttonStyle(.bordered)
            }
        }
    }

    private var passphraseStep: some View {
        VStack(alignment: .leading, spacing: 12) {
            Text(strings[.createVaultTitle]).font(.title2.bold())
            Text(strings[.createVaultExplain]).font(.body)
            SecureField(strings[.passphrase], text: $run.passphrase)
                .textContentType(.newPassword)
                .textFieldStyle(.roundedBorder)
            if !run.passphrase.isEmpty {
                Text(run.strength.hint(strings))
                    .font(.callout)
                    .foregroundStyle(run.strength >= .fair ? Color.green : Color.orange)
            }
            SecureField(strings[.repeatPassphrase], text: $run.repeated)
                .textContentType(.newPassword)
                .textFieldStyle(.roundedBorder)
            Button {
                Task { await run.createVault() }
            } label: {
                if run.isWorking { ProgressView() } else { Text(strings[.createVault]).frame(maxWidth: .infinity) }
            }
            .buttonStyle(.borderedProminent)
            .disabled(run.isWorking || run.passphrase.isEmpty)
        }
    }

    private var recoveryCodeStep: some View {
        VStack(alignment: .leading, spacing: 12) {
            Text(strings[.recoveryCodeTitle]).font(.title2.bold())
            Text(strings[.recoveryCodeExplain]).font(.body)
            if let groups = run.recoveryCodeGroups {
                // The code is Latin letters and digits: always left to right.
                LazyVGrid(columns: [GridItem(.adaptive(minimum: 90))], spacing: 8) {
                    ForEach(Array(groups.enumerated()), id: \.offset) { index, group in
                        VStack {
                            Text("\(index + 1)").font(.caption2).foregroundStyle(.secondary)
                            Text(group).font(.title2.monospaced().bold())
                        }
                        .accessibilityElement(children: .combine)
                    }
                }
                .environment(\.layoutDirection, .leftToRight)
                .privacySensitive()
            }
            Button(strings[.iWroteItDown]) { run.wroteItDown() }
                .buttonStyle(.borderedProminent)
        }
    }

    private var confirmStep: some View {
        VStack(alignment: .leading, spacing: 12) {
            Text(strings[.confirmCodeTitle]).font(.title2.bold())
            ForEach(Array(run.groupsToConfirm.enumerated()), id: \.offset) { slot, group in
                TextField(strings(.typeGroup, ["number": group + 1]), text: $run.typedGroups[slot])
                    .textInputAutocapitalization(.characters)
                    .autocorrectionDisabled()
                    .font(.title3.monospaced())
                    .textFieldStyle(.roundedBorder)
                    .environment(\.layoutDirection, .leftToRight)
            }
            Button(strings[.continueButton]) { run.confirmCode() }
                .buttonStyle(.borderedProminent)
            Button(strings[.showCodeAgain]) { run.showCodeAgain() }
        }
    }

    private var biometricsStep: some View {
        VStack(alignment: .leading, spacing: 12) {
            Text(strings[.biometricsTitle]).font(.title2.bold())
            Text(strings[.biometricsExplain]).font(.body)
            if let keystore {
                Button(strings[.enableBiometrics]) { Task { await run.finish(biometrics: keystore) } }
                    .buttonStyle(.borderedProminent)
            }
            Button(strings[.notNow]) { Task { await run.finish(biometrics: nil) } }
        }
    }
}
#endif
