#if canImport(SwiftUI) && os(iOS)
import SwiftUI
import Waymark
import WaymarkDemoCore

/// Search as you type over the installed packs, and the ways in to
/// countries, services nearby, routes and alerts.
struct InformationView: View {
    @Bindable var model: InformationModel
    let services: PlatformServices
    @Environment(\.strings) private var strings

    var body: some View {
        List {
            if model.query.isEmpty {
                Section {
                    NavigationLink(value: Route.nearby) { Label(strings[.nearby], systemImage: "location") }
                    NavigationLink(value: Route.country(code: "")) { Label(strings[.country], systemImage: "flag") }
                    NavigationLink(value: Route.routes) {
                        Label(strings[.routes], systemImage: "point.topleft.down.curvedto.point.bottomright.up")
                    }
                    NavigationLink(value: Route.alerts) { Label(strings[.alerts], systemImage: "exclamationmark.triangle") }
                }
            }
            if let correction = model.correction {
                Text(correction).font(.callout).foregroundStyle(.secondary)
            }
            ForEach(model.results) { row in
                NavigationLink(value: Route.entry(id: row.id)) { SearchRowView(row: row) }
            }
            if !model.query.trimmingCharacters(in: .whitespaces).isEmpty && model.results.isEmpty && model.message == nil {
                Text(strings[.noResults]).foregroundStyle(.secondary)
            }
            MessageView(text: model.message)
        }
        .searchable(text: $model.query, prompt: strings[.searchPlaceholder])
        .navigationTitle(strings[.tabInformation])
        .navigationDestination(for: Route.self) { route in
            switch route {
            case .entry(let id):
                if let row = model.results.first(where: { $0.id == id }) {
                    EntryView(model: model, row: row, speaker: services.speaker)
                }
            case .nearby: NearbyView(model: model, location: services.location)
            case .country: CountryView(model: model)
            case .routes: RoutesView(model: model)
            case .alerts: AlertsView(model: model)
            default: EmptyView()
            }
        }
    }
}

/// One hit: title and snippet in the entry's own direction (an Arabic
/// entry reads right to left in an English app), the matches in bold, the
/// language shown, provenance below.
struct SearchRowView: View {
    let row: SearchRow

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            AdaptiveStack {
                Text(row.title).font(.headline)
                Spacer(minLength: 4)
                Text(row.language.uppercased())
                    .font(.caption2.weight(.semibold))
                    .padding(.horizontal, 4)
                    .overlay(RoundedRectangle(cornerRadius: 3).stroke(.secondary))
                    .accessibilityLabel(Locale.current.localizedString(forLanguageCode: row.language) ?? row.language)
            }
            Text(row.snippet).font(.body)
            ProvenanceView(provenance: row.provenance)
        }
        .environment(\.layoutDirection, row.isRightToLeft ? .rightToLeft : .leftToRight)
    }
}

/// An entry, read aloud in its own language.
struct EntryView: View {
    let model: InformationModel
    let row: SearchRow
    let speaker: any Speaker
    @Environment(\.strings) private var strings

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 12) {
                Text(row.title).font(.title2.bold())
                Text(row.snippet).font(.body)
                ProvenanceView(provenance: row.provenance)
                if row.provenance.isStale {
                    Text(strings[.staleExplain]).font(.callout).foregroundStyle(.orange)
                }
                HStack {
                    Button { model.readAloud(row, with: speaker) } label: {
                        Label(strings[.readAloud], systemImage: "speaker.wave.2")
                    }
                    Button { speaker.stop() } label: { Label(strings[.stopReading], systemImage: "stop") }
                }
                .buttonStyle(.bordered)
            }
            .environment(\.layoutDirection, row.isRightToLeft ? .rightToLeft : .leftToRight)
            .padding()
        }
        .onDisappear { speaker.stop() }
    }
}

/// Services near the phone: the location read once when asked.
struct NearbyView: View {
    let model: InformationModel
    let location: any LocationSource
    @Environment(\.strings) private var strings
    @State private var openNow = false
    @State private var freeOnly = false
    @State private var searching = false

    var body: some View {
        List {
            Section {
                Text(strings[.nearbyExplain]).font(.callout)
                Toggle(strings[.openNow], isOn: $openNow)
                Toggle(strings[.free], isOn: $freeOnly)
                Button {
                    searching = true
                    Task {
                        await model.findNearby(location: location, openNow: openNow, freeOnly: freeOnly)
                        searching = false
                    }
                } label: {
                    if searching { ProgressView() } else { Label(strings[.findNearby], systemImage: "location.magnifyingglass") }
                }
            }
            ForEach(model.nearby) { service in
                VStack(alignment: .leading, spacing: 6) {
                    AdaptiveStack {
                        Text(service.name).font(.headline)
                        Spacer(minLength: 4)
                        Text(service.distance).font(.subheadline.monospacedDigit())
                    }
                    AdaptiveStack {
                        switch service.openNow {
                        case .some(true): Text(strings[.openNow]).foregroundStyle(.green)
                        case .some(false): Text(strings[.closedNow]).foregroundStyle(.secondary)
                        case .none: Text(strings[.hoursUnknown]).foregroundStyle(.secondary)
                        }
                        if service.free == true { Text(strings[.free]) }
                    }
                    .font(.subheadline)
                    if !service.languages.isEmpty {
                        Text("\(strings[.languagesSpoken]): \(service.languages.joined(separator: ", "))")
                            .font(.caption)
                    }
                    if let address = service.address { Text(address).font(.caption) }
                    ForEach(service.phones, id: \.self) { CallButton(phone: $0) }
                    ProvenanceView(provenance: service.provenance)
                }
            }
            MessageView(text: model.message)
        }
        .navigationTitle(strings[.nearby])
    }
}

struct CountryView: View {
    let model: InformationModel
    @Environment(\.strings) private var strings
    @State private var code = "GR"

    var body: some View {
        List {
            Picker(strings[.country], selection: $code) {
                ForEach(["GR", "IT", "ES", "MT", "CY", "BG", "TR", "DE", "FR"], id: \.self) { code in
                    Text(Locale.current.localizedString(forRegionCode: code) ?? code).tag(code)
                }
            }
            if let country = model.country {
                Section(strings[.emergencyNumbers]) {
                    ForEach(country.emergency, id: \.self) { CallButton(phone: $0) }
                }
                if let asylum = country.asylum { Section(strings[.asylum]) { Text(asylum) } }
                if let rights = country.rights { Section(strings[.rights]) { Text(rights) } }
                ProvenanceView(provenance: country.provenance)
            }
            MessageView(text: model.message)
        }
        .navigationTitle(model.country?.name ?? strings[.country])
        .task(id: code) { await model.showCountry(code) }
    }
}

struct RoutesView: View {
    let model: InformationModel
    @Environment(\.strings) private var strings
    @State private var place = ""

    var body: some View {
        List {
            TextField(strings[.routesPlace], text: $place)
                .onSubmit { Task { await model.findRoutes(from: place) } }
            ForEach(model.routes) { route in
                Section(route.name) {
                    ForEach(route.steps, id: \.self) { Text($0).font(.body) }
                    ProvenanceView(provenance: route.provenance)
                }
            }
            MessageView(text: model.message)
        }
        .navigationTitle(strings[.routes])
    }
}

struct AlertsView: View {
    let model: InformationModel
    @Environment(\.strings) private var strings

    var body: some View {
        List {
            if model.alerts.isEmpty { Text(strings[.noAlerts]).foregroundStyle(.secondary) }
            ForEach(model.alerts) { alert in
                VStack(alignment: .leading, spacing: 6) {
                    Label(alert.severity.name(strings), systemImage: symbol(alert.severity))
                        .font(.caption.weight(.bold))
                        .foregroundStyle(color(alert.severity))
                    Text(alert.title).font(.headline)
                    Text(alert.body).font(.body)
                    ProvenanceView(provenance: alert.provenance)
                }
            }
            MessageView(text: model.message)
        }
        .navigationTitle(strings[.alerts])
        .task { await model.loadAlerts() }
    }

    private func symbol(_ severity: Severity) -> String {
        switch severity {
        case .info: "info.circle"
        case .warning: "exclamationmark.triangle"
        case .danger: "exclamationmark.octagon.fill"
        }
    }

    private func color(_ severity: Severity) -> Color {
        switch severity {
        case .info: .blue
        case .warning: .orange
        case .danger: .red
        }
    }
}
#endif
