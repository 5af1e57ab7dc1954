#if canImport(SwiftUI) && os(iOS)
import SwiftUI
import Waymark
import WaymarkDemoCore
import UniformTypeIdentifiers

extension UTType {
    /// A Waymark offline bundle (`.wmbundle`), declared by the app's
    /// Info.plist (see project.yml).
    static let waymarkBundle = UTType(exportedAs: "org.waymark.bundle")
}

/// Trusted publishers with their fingerprints, installed packs, install
/// from a file, share a pack.
struct PacksView: View {
    @Bindable var model: PacksModel
    @Environment(\.strings) private var strings
    /// What the one file importer is for (SwiftUI honours one per view).
    private enum Importing { case bundle, card }
    @State private var importKind: Importing = .bundle
    @State private var importing = false
    @State private var pasting = false
    @State private var pasted = ""
    @State private var typedFingerprint = ""
    @State private var removing: PublisherRow?

    var body: some View {
        List {
            Section(strings[.installedPacks]) {
                if model.packs.isEmpty { Text(strings[.noPacks]).foregroundStyle(.secondary) }
                ForEach(model.packs) { pack in
                    HStack {
                        VStack(alignment: .leading) {
                            Text(pack.title).font(.headline)
                            Text("\(pack.publisherName) · v\(pack.version)").font(.caption).foregroundStyle(.secondary)
                            if pack.isSample {
                                Text(strings[.sampleMark]).font(.caption.bold())
                            }
                        }
                        Spacer()
                        ShareLink(item: SharedPack(model: model, pack: pack), preview: SharePreview(pack.title)) {
                            Label(strings[.sharePack], systemImage: "square.and.arrow.up").labelStyle(.iconOnly)
                        }
                    }
                }
                Button { importKind = .bundle; importing = true } label: { Label(strings[.installFromFile], systemImage: "tray.and.arrow.down") }
            }
            Section {
                ForEach(model.publishers) { publisher in
                    VStack(alignment: .leading, spacing: 4) {
                        Text(publisher.name).font(.headline)
                        Text(strings[.fingerprint]).font(.caption).foregroundStyle(.secondary)
                        Text(publisher.fingerprint)
                            .font(.callout.monospaced())
                            .environment(\.layoutDirection, .leftToRight)
                            .textSelection(.enabled)
                    }
                    .swipeActions { Button(strings[.removePublisher], role: .destructive) { removing = publisher } }
                }
                Menu {
                    Button(strings[.chooseCardFile]) { importKind = .card; importing = true }
                    Button(strings[.pasteCard]) { pasting = true }
                } label: {
                    Label(strings[.addPublisher], systemImage: "person.badge.plus")
                }
            } header: {
                Text(strings[.trustedPublishers])
            } footer: {
                Text(strings[.addPublisherExplain])
            }
            MessageView(text: model.message)
        }
        .navigationTitle(strings[.tabPacks])
        .task { await model.reload() }
        .fileImporter(
            isPresented: $importing,
            allowedContentTypes: importKind == .card ? [.json] : [.waymarkBundle, .data]
        ) { result in
            guard case .success(let url) = result else { return }
            switch importKind {
            case .bundle:
                Task { await model.install(from: url) }
            case .card:
                let accessing = url.startAccessingSecurityScopedResource()
                defer { if accessing { url.stopAccessingSecurityScopedResource() } }
                if let card = try? Data(contentsOf: url) { Task { await model.trust(card: card) } }
            }
        }
        .alert(strings[.pasteCard], isPresented: $pasting) {
            TextField("{ … }", text: $pasted)
            Button(strings[.continueButton]) { Task { await model.trust(pastedCard: pasted); pasted = "" } }
            Button(strings[.cancel], role: .cancel) { pasted = "" }
        }
        .sheet(item: Binding(get: { model.justTrusted }, set: { if $0 == nil { model.fingerprintChecked() } })) { publisher in
            FingerprintCheck(model: model, publisher: publisher, typed: $typedFingerprint)
        }
        .confirmationDialog(
            strings[.removePublisherConfirm],
            isPresented: Binding(get: { removing != nil }, set: { if !$0 { removing = nil } }),
            titleVisibility: .visible
        ) {
            Button(strings[.removePublisher], role: .destructive) {
                if let id = removing?.id { Task { await model.remove(publisher: id) } }
            }
        }
    }
}

/// Right after trusting: compare the fingerprint with the NGO's.
struct FingerprintCheck: View {
    let model: PacksModel
    let publisher: PublisherRow
    @Binding var typed: String
    @Environment(\.strings) private var strings

    var body: some View {
        NavigationStack {
            Form {
                Text(publisher.name).font(.headline)
                Text(publisher.fingerprint).font(.title3.monospaced()).environment(\.layoutDirection, .leftToRight)
                TextField(strings[.compareFingerprint], text: $typed, axis: .vertical)
                    .font(.body.monospaced())
                    .environment(\.layoutDirection, .leftToRight)
                if !typed.isEmpty {
                    if model.fingerprint(of: publisher, matches: typed) {
                        Label(strings[.fingerprintMatches], systemImage: "checkmark.seal.fill").foregroundStyle(.green)
                    } else {
                        Label(strings[.fingerprintDiffers], systemImage: "xmark.octagon.fill").foregroundStyle(.red)
                        Button(strings[.removePublisher], role: .destructive) {
                            Task { await model.remove(publisher: publisher.id) }
                        }
                    }
                }
            }
            .toolbar {
                ToolbarItem(placement: .confirmationAction) {
                    Button(strings[.done]) {
                        typed = ""
                        model.fingerprintChecked()
                    }
                }
            }
        }
    }
}

/// A pack written to a `.wmbundle` file when the share sheet asks for it.
struct SharedPack: Transferable {
    let model: PacksModel
    let pack: PackRow

    static var transferRepresentation: some TransferRepresentation {
        FileRepresentation(exportedContentType: .waymarkBundle) { shared in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("share", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            guard let file = await shared.model.share(shared.pack, into: directory) else {
                throw CocoaError(.fileWriteUnknown)
            }
            return SentTransferredFile(file)
        }
    }
}
#endif
