#if canImport(SwiftUI) && os(iOS)
import SwiftUI
import Waymark
import WaymarkDemoCore
#if canImport(PhotosUI)
import PhotosUI
#endif
#if canImport(PDFKit)
import PDFKit
#endif
import UniformTypeIdentifiers

/// The documents: the list with kind icons and expiry badges, add, view,
/// edit, delete, export after a warning.
struct DocumentsView: View {
    @Bindable var model: DocumentsModel
    let lock: () -> Void
    @Environment(\.strings) private var strings
    @State private var adding = false

    var body: some View {
        List {
            if model.rows.isEmpty {
                Text(strings[.documentsEmpty]).font(.body).foregroundStyle(.secondary)
            }
            ForEach(model.rows) { row in
                NavigationLink(value: Route.document(id: row.id)) {
                    DocumentRowView(row: row)
                }
            }
            MessageView(text: model.message)
        }
        .navigationTitle(strings[.tabDocuments])
        .toolbar {
            ToolbarItem(placement: .primaryAction) {
                Button { adding = true } label: { Label(strings[.addDocument], systemImage: "plus") }
            }
            ToolbarItem(placement: .topBarLeading) {
                Button(action: lock) { Label(strings[.lockNow], systemImage: "lock") }
            }
        }
        .sheet(isPresented: $adding) { AddDocumentView(model: model) }
        .navigationDestination(for: Route.self) { route in
            if case .document(let id) = route, let row = model.rows.first(where: { $0.id == id }) {
                DocumentDetailView(model: model, row: row)
            }
        }
        .task { await model.reload() }
        .refreshable { await model.reload() }
    }
}

struct DocumentRowView: View {
    let row: DocumentRow
    @Environment(\.strings) private var strings
    @ScaledMetric private var iconSize = 28.0

    var body: some View {
        HStack(alignment: .top, spacing: 12) {
            // The icon grows with the text (@ScaledMetric); the texts wrap.
            Image(systemName: row.symbol)
                .font(.title2)
                .frame(width: iconSize, height: iconSize)
                .accessibilityHidden(true)
            VStack(alignment: .leading, spacing: 4) {
                Text(row.title).font(.headline)
                Text(row.kind.name(strings)).font(.subheadline).foregroundStyle(.secondary)
                if let badge = row.badge { ExpiryBadgeView(badge: badge) }
            }
        }
        .accessibilityElement(children: .combine)
    }
}

/// Adding a document: name, type and expiry first, then where it comes
/// from. Whatever the source, the bytes go into the vault as they are read:
/// the app writes no plain copy.
struct AddDocumentView: View {
    let model: DocumentsModel
    @Environment(\.strings) private var strings
    @Environment(\.dismiss) private var dismiss
    @State private var title = ""
    @State private var kind: DocumentKind = .passport
    @State private var hasExpiry = false
    @State private var expiry = Date()
    @State private var importing = false
    @State private var usingCamera = false
    #if canImport(PhotosUI)
    @State private var photo: PhotosPickerItem?
    #endif

    var body: some View {
        NavigationStack {
            Form {
                TextField(strings[.documentTitle], text: $title)
                Picker(strings[.documentKind], selection: $kind) {
                    ForEach(DocumentKind.all, id: \.self) { kind in
                        Label(kind.name(strings), systemImage: kind.symbol).tag(kind)
                    }
                }
                Toggle(strings[.expiresOn], isOn: $hasExpiry)
                if hasExpiry {
                    DatePicker(strings[.expiresOn], selection: $expiry, displayedComponents: .date)
                }
                Section {
                    #if canImport(UIKit)
                    if UIImagePickerController.isSourceTypeAvailable(.camera) {
                        Button { usingCamera = true } label: { Label(strings[.fromCamera], systemImage: "camera") }
                    }
                    #endif
                    #if canImport(PhotosUI)
                    PhotosPicker(selection: $photo, matching: .images) {
                        Label(strings[.fromPhotos], systemImage: "photo")
                    }
                    #endif
                    Button { importing = true } label: { Label(strings[.fromFiles], systemImage: "folder") }
                } footer: {
                    Text(strings[.noPlaintextNote])
                }
                if model.isAdding { ProgressView() }
                MessageView(text: model.message)
            }
            .navigationTitle(strings[.addDocument])
            .toolbar {
                ToolbarItem(placement: .cancellationAction) { Button(strings[.cancel]) { dismiss() } }
            }
            .fileImporter(isPresented: $importing, allowedContentTypes: [.image, .pdf, .data]) { result in
                switch result {
                case .success(let url):
                    Task {
                        if await model.add(metadata(mime: mimeType(url)), fromFile: url) != nil { dismiss() }
                    }
                case .failure:
                    model.pickerCancelled()
                }
            }
            #if canImport(PhotosUI)
            .onChange(of: photo) { _, item in
                guard let item else { return }
                Task {
                    // In memory only, then into the vault in chunks.
                    guard let data = try? await item.loadTransferable(type: Data.self) else {
                        model.pickerCancelled()
                        return
                    }
                    if await model.add(metadata(mime: "image/jpeg"), contentsOf: data.chunked()) != nil { dismiss() }
                }
            }
            #endif
            #if canImport(UIKit)
            .fullScreenCover(isPresented: $usingCamera) {
                CameraView { jpeg in
                    usingCamera = false
                    guard let jpeg else {
                        model.pickerCancelled()
                        return
                    }
                    Task {
                        if await model.add(metadata(mime: "image/jpeg"), contentsOf: jpeg.chunked()) != nil { dismiss() }
                    }
                }
                .ignoresSafeArea()
            }
            #endif
        }
    }

    private func metadata(mime: String) -> DocumentMetadata {
        var date: String?
        if hasExpiry {
            let parts = Calendar.current.dateComponents([.year, .month, .day], from: expiry)
            date = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        }
        let name = title.trimmingCharacters(in: .whitespaces)
        return DocumentMetadata(
            kind: kind, title: name.isEmpty ? kind.name(strings) : name, expiresOn: date, mimeType: mime)
    }

    private func mimeType(_ url: URL) -> String {
        UTType(filenameExtension: url.pathExtension)?.preferredMIMEType ?? "application/octet-stream"
    }
}

extension Data {
    /// The bytes as a sequence of 64 KiB chunks, for the vault to take one
    /// at a time.
    func chunked(size: Int = 64 * 1024) -> AsyncStream<Data> {
        AsyncStream { continuation in
            var offset = 0
            while offset < count {
                continuation.yield(subdata(in: offset..<Swift.min(offset + size, count)))
                offset += size
            }
            continuation.finish()
        }
    }
}

/// A document: its content shown from the vault's stream (no file), edit,
/// delete, and export after the warning.
struct DocumentDetailView: View {
    let model: DocumentsModel
    let row: DocumentRow
    @Environment(\.strings) private var strings
    @Environment(\.dismiss) private var dismiss
    @State private var content: Data?
    @State private var confirmingDelete = false
    @State private var editing = false
    @State private var exported: URL?

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 12) {
                DocumentRowView(row: row)
                contentView
                    .privacySensitive()
                if let country = row.metadata.issuingCountry { LabeledContent(strings[.issuingCountry], value: country) }
                if let expires = row.metadata.expiresOn { LabeledContent(strings[.expiresOn], value: expires) }
                if !row.metadata.notes.isEmpty { Text(row.metadata.notes).font(.body) }
                MessageView(text: model.message)
            }
            .padding()
        }
        .navigationTitle(row.title)
        .toolbar {
            ToolbarItem(placement: .primaryAction) {
                Menu {
                    Button { editing = true } label: { Label(strings[.editDocument], systemImage: "pencil") }
                    Button { model.requestExport(id: row.id) } label: {
                        Label(strings[.export], systemImage: "square.and.arrow.up")
                    }
                    Button(role: .destructive) { confirmingDelete = true } label: {
                        Label(strings[.delete], systemImage: "trash")
                    }
                } label: {
                    Image(systemName: "ellipsis.circle").accessibilityLabel(strings[.editDocument])
                }
            }
        }
        .task {
            var data = Data()
            do {
                for try await chunk in model.content(of: row.id) { data.append(chunk) }
                content = data
            } catch {
                content = nil
            }
        }
        .confirmationDialog(strings[.deleteConfirm], isPresented: $confirmingDelete, titleVisibility: .visible) {
            Button(strings[.delete], role: .destructive) {
                Task { if await model.delete(id: row.id) { dismiss() } }
            }
        }
        .alert(
            strings[.export],
            isPresented: Binding(get: { model.exportPending != nil }, set: { if !$0 { model.cancelExport() } })
        ) {
            Button(strings[.exportAnyway], role: .destructive) {
                Task {
                    let name = row.title.map { $0 == "/" || $0 == ":" ? "-" : $0 }
                    let file = FileManager.default.temporaryDirectory.appendingPathComponent(String(name))
                    if await model.confirmExport(to: file) { exported = file }
                }
            }
            Button(strings[.cancel], role: .cancel) { model.cancelExport() }
        } message: {
            Text(model.exportWarning)
        }
        .sheet(isPresented: Binding(get: { exported != nil }, set: { if !$0 { removeExport() } })) {
            if let exported {
                ShareLink(item: exported) { Label(strings[.export], systemImage: "square.and.arrow.up") }
                    .padding()
                    .presentationDetents([.medium])
            }
        }
        .sheet(isPresented: $editing) { EditDocumentView(model: model, row: row) }
    }

    @ViewBuilder private var contentView: some View {
        if let content {
            #if canImport(UIKit) && canImport(PDFKit)
            if let image = UIImage(data: content) {
                Image(uiImage: image).resizable().scaledToFit().accessibilityLabel(row.title)
            } else if row.metadata.mimeType == "application/pdf" {
                PDFContentView(data: content)
                    .frame(minHeight: 400)
            }
            #endif
        } else {
            ProgressView()
        }
    }

    /// The plain copy lives only while the share sheet is up.
    private func removeExport() {
        if let exported { try? FileManager.default.removeItem(at: exported) }
        exported = nil
    }
}

struct EditDocumentView: View {
    let model: DocumentsModel
    let row: DocumentRow
    @Environment(\.strings) private var strings
    @Environment(\.dismiss) private var dismiss
    @State private var metadata: DocumentMetadata

    init(model: DocumentsModel, row: DocumentRow) {
        self.model = model
        self.row = row
        _metadata = State(initialValue: row.metadata)
    }

    var body: some View {
        NavigationStack {
            Form {
                TextField(strings[.documentTitle], text: $metadata.title)
                Picker(strings[.documentKind], selection: $metadata.kind) {
                    ForEach(DocumentKind.all, id: \.self) { Text($0.name(strings)).tag($0) }
                }
                TextField(strings[.expiresOn] + " (YYYY-MM-DD)", text: Binding(
                    get: { metadata.expiresOn ?? "" }, set: { metadata.expiresOn = $0.isEmpty ? nil : $0 }))
                    .environment(\.layoutDirection, .leftToRight)
                TextField(strings[.issuingCountry], text: Binding(
                    get: { metadata.issuingCountry ?? "" }, set: { metadata.issuingCountry = $0.isEmpty ? nil : $0 }))
                TextField(strings[.notes], text: $metadata.notes, axis: .vertical)
                MessageView(text: model.message)
            }
            .toolbar {
                ToolbarItem(placement: .cancellationAction) { Button(strings[.cancel]) { dismiss() } }
                ToolbarItem(placement: .confirmationAction) {
                    Button(strings[.save]) {
                        Task { if await model.update(id: row.id, metadata: metadata) { dismiss() } }
                    }
                }
            }
        }
    }
}

#if canImport(UIKit)
/// The camera, returning a JPEG in memory (nil when cancelled).
struct CameraView: UIViewControllerRepresentable {
    let done: (Data?) -> Void

    func makeUIViewController(context: Context) -> UIImagePickerController {
        let picker = UIImagePickerController()
        picker.sourceType = .camera
        picker.delegate = context.coordinator
        return picker
    }

    func updateUIViewController(_ controller: UIImagePickerController, context: Context) {}

    func makeCoordinator() -> Coordinator { Coordinator(done: done) }

    final class Coordinator: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
        let done: (Data?) -> Void
        init(done: @escaping (Data?) -> Void) { self.done = done }

        func imagePickerController(
            _ picker: UIImagePickerController, didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]
        ) {
            done((info[.originalImage] as? UIImage)?.jpegData(compressionQuality: 0.8))
        }

        func imagePickerControllerDidCancel(_ picker: UIImagePickerController) { done(nil) }
    }
}
#endif

#if canImport(PDFKit) && canImport(UIKit)
/// A PDF shown from memory.
struct PDFContentView: UIViewRepresentable {
    let data: Data

    func makeUIView(context: Context) -> PDFKit.PDFView {
        let view = PDFKit.PDFView()
        view.autoScales = true
        view.document = PDFDocument(data: data)
        return view
    }

    func updateUIView(_ view: PDFKit.PDFView, context: Context) {}
}
#endif
#endif
