#if canImport(SwiftUI) && os(iOS)
import SwiftUI
import Waymark
import WaymarkDemoCore

/// Update: the plan per publisher before anything is spent, the prompt
/// above the budget on mobile data, progress with a stop button.
struct SyncView: View {
    let model: SyncModel
    let network: () -> NetworkKind
    @Environment(\.strings) private var strings

    var body: some View {
        List {
            Section {
                Text(strings[.planExplain]).font(.callout)
                Button { Task { await model.makePlan(on: network()) } } label: {
                    Label(strings[.checkForUpdates], systemImage: "magnifyingglass")
                }
                .disabled(isBusy)
            }
            if !model.plan.isEmpty {
                Section {
                    ForEach(model.plan) { row in
                        LabeledContent(row.name, value: row.detail)
                            .foregroundStyle(row.failed ? Color.red : Color.primary)
                    }
                    if let total = model.planTotal { LabeledContent(strings[.total], value: total).bold() }
                }
            }
            phaseSection
            Section { Text(strings[.backgroundSyncNote]).font(.caption).foregroundStyle(.secondary) }
        }
        .navigationTitle(strings[.syncTitle])
    }

    private var isBusy: Bool {
        if case .syncing = model.phase { return true }
        return model.phase == .planning
    }

    @ViewBuilder private var phaseSection: some View {
        switch model.phase {
        case .idle:
            EmptyView()
        case .planning:
            ProgressView()
        case .planned(.offline):
            Label(strings[.offline], systemImage: "wifi.slash")
        case .planned(.nothingToDownload):
            Label(strings[.upToDate], systemImage: "checkmark.circle")
        case .planned(.proceed):
            Button(strings[.startSync]) { model.start() }.buttonStyle(.borderedProminent)
        case .planned(.askFirst(let total, let budget)):
            Section {
                Text(strings(.budgetPrompt, [
                    "total": Units.bytes(total, strings: strings), "budget": Units.bytes(budget, strings: strings),
                ]))
                Button(strings[.onlyWhatFits]) { model.start(allowOverBudget: false) }
                Button(strings[.downloadAll]) { model.start(allowOverBudget: true) }
            }
        case .syncing(let text, let fraction):
            Section {
                if let fraction { ProgressView(value: fraction) { Text(text) } } else { ProgressView { Text(text) } }
                Button(strings[.cancelSync], role: .cancel) { model.cancel() }
            }
        case .finished(let summary):
            Section {
                Text(summary)
                // Per pack, what changed ("3 services updated"): the title
                // on a line of its own, so a Latin title does not reorder an
                // Arabic line.
                ForEach(model.changes) { row in
                    VStack(alignment: .leading, spacing: 4) {
                        Text(row.title).bold()
                        Text(row.summary).fixedSize(horizontal: false, vertical: true)
                    }
                    .accessibilityElement(children: .combine)
                }
            }
        case .cancelled:
            Text(strings[.syncCancelled])
        case .failed(let message):
            MessageView(text: message)
        }
    }
}
#endif
