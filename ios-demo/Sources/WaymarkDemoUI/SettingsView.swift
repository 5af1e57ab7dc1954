#if canImport(SwiftUI) && os(iOS)
import SwiftUI
import Waymark
import WaymarkDemoCore

/// Settings and safety.
struct SettingsView: View {
    let model: SettingsModel
    let keystore: (any PlatformKeystore)?
    @Environment(\.strings) private var strings
    @State private var proxy = ""
    @State private var duress = ""
    @State private var duressAgain = ""
    @State private var destroyReal = false
    @State private var newCode: String?

    var body: some View {
        let current = model.current
        Form {
            Section {
                Picker(strings[.language], selection: Binding(get: { current.language }, set: { model.setLanguage($0) })) {
                    ForEach(AppLanguage.allCases) { Text($0.nativeName).tag($0) }
                }
            }
            Section {
                Picker(strings[.autoLock], selection: Binding(
                    get: { current.autoLockMinutes }, set: { minutes in Task { await model.setAutoLock(minutes: minutes) } }
                )) {
                    ForEach(Preferences.autoLockChoices, id: \.self) { Text(strings(.minutes, ["n": $0])).tag($0) }
                }
                Toggle(strings[.lockWhenLeaving], isOn: Binding(
                    get: { current.lockWhenLeaving }, set: { model.setLockWhenLeaving($0) }))
                Toggle(strings[.hideInAppSwitcher], isOn: Binding(
                    get: { current.hideInAppSwitcher }, set: { model.setHideInAppSwitcher($0) }))
                if let keystore {
                    Toggle(strings[.useBiometrics], isOn: Binding(
                        get: { current.biometricUnlock },
                        set: { on in Task { await model.setBiometricUnlock(on ? keystore : nil) } }))
                }
                Button(strings[.newRecoveryCode]) { Task { newCode = await model.newRecoveryCode() } }
            }
            Section {
                Picker(strings[.dataBudget], selection: Binding(
                    get: { current.meteredBudgetBytes }, set: { model.setMeteredBudget(bytes: $0) }
                )) {
                    ForEach(Preferences.budgetChoices, id: \.self) { Text(Units.bytes($0, strings: strings)).tag($0) }
                }
                TextField(strings[.proxy], text: $proxy)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                    .environment(\.layoutDirection, .leftToRight)
                    .onSubmit { model.setProxy(proxy) }
                    .onAppear { proxy = current.proxy ?? "" }
            } footer: {
                Text("\(strings[.dataBudgetExplain]) \(strings[.proxyExplain])")
            }
            Section {
                SecureField(strings[.duressPassphrase], text: $duress)
                SecureField(strings[.repeatPassphrase], text: $duressAgain)
                Toggle(strings[.destroyReal], isOn: $destroyReal)
                Button(strings[.setDuress]) {
                    Task {
                        if await model.setDuress(passphrase: duress, repeated: duressAgain, destroyReal: destroyReal) {
                            duress = ""
                            duressAgain = ""
                        }
                    }
                }
                Button(strings[.removeDuress], role: .destructive) { Task { await model.removeDuress() } }
            } header: {
                Text(strings[.duressTitle])
            } footer: {
                Text(strings[.duressExplain])
            }
            Section(strings[.neverDoesTitle]) {
                ForEach(model.neverDoes, id: \.self) { Label($0, systemImage: "checkmark.shield") }
            }
            Section {
                PanicWipeButton(wipe: model.panicWipe)
            }
            MessageView(text: model.message)
        }
        .navigationTitle(strings[.tabSettings])
        .sheet(isPresented: Binding(get: { newCode != nil }, set: { if !$0 { newCode = nil } })) {
            VStack(spacing: 16) {
                Text(strings[.recoveryCodeTitle]).font(.title2.bold())
                Text(strings[.recoveryCodeExplain])
                Text(newCode ?? "").font(.title3.monospaced().bold()).environment(\.layoutDirection, .leftToRight)
                    .privacySensitive()
                Button(strings[.iWroteItDown]) { newCode = nil }.buttonStyle(.borderedProminent)
            }
            .padding()
            .interactiveDismissDisabled()
        }
    }
}
#endif
