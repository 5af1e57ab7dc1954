import Foundation
import Observation

/// The main tabs, once the vault is open.
public enum Tab: String, Sendable, CaseIterable, Hashable {
    case documents
    case information
    case packs
    case sync
    case settings

    /// The SF Symbol of the tab.
    public var symbol: String {
        switch self {
        case .documents: "doc.text"
        case .information: "magnifyingglass"
        case .packs: "shippingbox"
        case .sync: "arrow.triangle.2.circlepath"
        case .settings: "gearshape"
        }
    }

    /// The tab's name.
    public func title(_ strings: Strings) -> String {
        switch self {
        case .documents: strings(.tabDocuments)
        case .information: strings(.tabInformation)
        case .packs: strings(.tabPacks)
        case .sync: strings(.tabSync)
        case .settings: strings(.tabSettings)
        }
    }
}

/// A screen pushed inside a tab.
public enum Route: Sendable, Hashable {
    case document(id: String)
    case addDocument
    case editDocument(id: String)
    case entry(id: String)
    case country(code: String)
    case nearby
    case routes
    case alerts
    case addPublisher
    case publisher(id: String)
    case duressSetup
    case neverDoes
}

/// Where the person is: the tab and, per tab, the screens pushed on it.
/// Locking clears every stack, so that unlocking again shows no screen of
/// a document that was open.
@MainActor @Observable
public final class NavigationState {
    /// The tab shown.
    public var tab: Tab = .documents
    /// The screens pushed on each tab.
    public var paths: [Tab: [Route]] = [:]

    public init() {}

    /// The stack of the tab shown.
    public var path: [Route] {
        get { paths[tab] ?? [] }
        set { paths[tab] = newValue }
    }

    /// Shows `route` on `tab`.
    public func open(_ route: Route, in tab: Tab) {
        self.tab = tab
        paths[tab, default: []].append(route)
    }

    /// Back to the tab's first screen.
    public func popToRoot() {
        paths[tab] = []
    }

    /// Forgets every pushed screen (on lock and wipe).
    public func reset() {
        paths = [:]
        tab = .documents
    }
}
