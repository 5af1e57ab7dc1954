import Foundation
import Testing
@testable import Waymark

@Suite("Packaging", .failsWhenStuck)
struct PackagingTests {
    @Test func privacyManifestShipsWithThePackageAndDeclaresOnlyFileTimestamps() throws {
        let url = try #require(Bundle.module.url(forResource: "PrivacyInfo", withExtension: "xcprivacy"))
        let plist = try PropertyListSerialization.propertyList(from: Data(contentsOf: url), format: nil)
        let manifest = try #require(plist as? [String: Any])

        #expect(manifest["NSPrivacyTracking"] as? Bool == false)
        #expect((manifest["NSPrivacyTrackingDomains"] as? [Any])?.isEmpty == true)
        #expect((manifest["NSPrivacyCollectedDataTypes"] as? [Any])?.isEmpty == true)
        let apis = try #require(manifest["NSPrivacyAccessedAPITypes"] as? [[String: Any]])
        let declared = Dictionary(uniqueKeysWithValues: apis.map {
            ($0["NSPrivacyAccessedAPIType"] as? String ?? "", $0["NSPrivacyAccessedAPITypeReasons"] as? [String] ?? [])
        })
        // The core stats files in its own container (sizes, modes): C617.1.
        #expect(declared == ["NSPrivacyAccessedAPICategoryFileTimestamp": ["C617.1"]])
    }
}
