#if canImport(SwiftUI) && os(iOS)
import SwiftUI
import Waymark
import WaymarkDemoCore

// Pieces shared by the screens. Every text uses a text style (Dynamic
// Type scales it), no frame has a fixed height, and layouts use leading and
// trailing, never left and right, so that Arabic and Farsi mirror.

private struct StringsKey: EnvironmentKey {
    static let defaultValue = Strings(.english)
}

extension EnvironmentValues {
    /// The app's texts in the person's language.
    public var strings: Strings {
        get { self[StringsKey.self] }
        set { self[StringsKey.self] = newValue }
    }
}

extension AppLanguage {
    /// The layout direction of the language.
    public var layoutDirection: LayoutDirection { isRightToLeft ? .rightToLeft : .leftToRight }
}

/// A row that lays its parts side by side, or one under the other at the
/// accessibility text sizes, where side by side would squeeze the words.
struct AdaptiveStack<Content: View>: View {
    @Environment(\.dynamicTypeSize) private var size
    @ViewBuilder let content: () -> Content

    var body: some View {
        if size.isAccessibilitySize {
            VStack(alignment: .leading, spacing: 4, content: content)
        } else {
            HStack(alignment: .firstTextBaseline, spacing: 8, content: content)
        }
    }
}

/// "Sample NGO · pack v3 · checked 12 days ago", with the SAMPLE and stale
/// marks when they apply.
struct ProvenanceView: View {
    let provenance: ProvenanceText
    @Environment(\.strings) private var strings

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            if provenance.isSample || provenance.isStale {
                HStack(spacing: 6) {
                    if provenance.isSample {
                        Text(strings[.sampleMark])
                            .font(.caption.weight(.bold))
                            .padding(.horizontal, 6)
                            .background(Capsule().fill(Color.yellow.opacity(0.35)))
                            .accessibilityLabel(strings[.sampleMark])
                    }
                    if provenance.isStale {
                        Label(strings[.staleMark], systemImage: "clock.badge.exclamationmark")
                            .font(.caption)
                            .foregroundStyle(.orange)
                    }
                }
            }
            Text(provenance.line)
                .font(.caption)
                .foregroundStyle(.secondary)
                .fixedSize(horizontal: false, vertical: true)
        }
    }
}

/// An expiry badge: red when expired, orange when soon.
struct ExpiryBadgeView: View {
    let badge: ExpiryBadge
    @Environment(\.strings) private var strings

    var body: some View {
        Text(badge.text(strings))
            .font(.caption.weight(.semibold))
            .padding(.horizontal, 8)
            .padding(.vertical, 2)
            .background(Capsule().fill(badge == .expired ? Color.red.opacity(0.2) : Color.orange.opacity(0.2)))
            .foregroundStyle(badge == .expired ? Color.red : Color.orange)
    }
}

/// A message line under a form: what went wrong, in plain words.
struct MessageView: View {
    let text: String?

    var body: some View {
        if let text {
            Label(text, systemImage: "exclamationmark.circle")
                .font(.callout)
                .foregroundStyle(.red)
                .fixedSize(horizontal: false, vertical: true)
                .accessibilityAddTraits(.updatesFrequently)
        }
    }
}

/// A phone number that calls with one tap.
struct CallButton: View {
    let phone: PhoneNumber
    @Environment(\.strings) private var strings

    var body: some View {
        if let url = phone.url {
            Link(destination: url) {
                Label {
                    VStack(alignment: .leading) {
                        if !phone.label.isEmpty { Text(phone.label).font(.caption).foregroundStyle(.secondary) }
                        // Numbers read left to right in every language.
                        Text(phone.number).font(.body.monospacedDigit()).environment(\.layoutDirection, .leftToRight)
                    }
                } icon: {
                    Image(systemName: "phone.fill")
                }
            }
            .accessibilityLabel("\(strings[.call]) \(phone.label) \(phone.number)")
        }
    }
}

/// The panic wipe's two taps: the button, then one confirmation.
struct PanicWipeButton: View {
    @Bindable var wipe: PanicWipe
    @Environment(\.strings) private var strings

    var body: some View {
        Button(role: .destructive) {
            wipe.request()
        } label: {
            Label(strings[.panicWipe], systemImage: "trash.fill")
        }
        .confirmationDialog(
            strings[.panicWipe],
            isPresented: Binding(get: { wipe.isConfirming }, set: { if !$0 { wipe.cancel() } }),
            titleVisibility: .visible
        ) {
            Button(strings[.panicWipeConfirm], role: .destructive) {
                Task { await wipe.confirm() }
            }
            Button(strings[.cancel], role: .cancel) { wipe.cancel() }
        } message: {
            Text(strings[.panicWipeExplain])
        }
    }
}
#endif
