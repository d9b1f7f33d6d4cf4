import CLibgit2Startup
import Foundation
import GitKit
import Testing
import TestSupport

/// Kerberos (libgssapi_krb5 and six libraries it brings) is no longer loaded at every start:
/// libgit2's GSSAPI calls go through CLibgit2Startup, which loads the library on the first one.
@Suite struct KerberosTests {
    /// Whether this process has libgssapi_krb5 mapped. (Read to its end: /proc files have no size.)
    static var mapsKerberos: Bool {
        get throws {
            let maps = try #require(FileHandle(forReadingAtPath: "/proc/self/maps")).readToEnd() ?? Data()
            #expect(maps.count > 0)
            return String(decoding: maps, as: UTF8.self).contains("libgssapi_krb5")
        }
    }

    @Test func kerberosIsLoadedByTheFirstCallToItAndAnswersIt() throws {
        // Everything but an authenticated HTTP fetch leaves it alone.
        let fixture = try GitFixture(files: ["a": "a"])
        _ = try fixture.open().resolveCommit("HEAD")
        #expect(gitci_gssapi_loaded() == 0)
        #expect(try !Self.mapsKerberos, "libgssapi_krb5 was loaded before anything called it")

        var minor: OM_uint32 = 0
        var mechanisms: UnsafeMutableRawPointer?
        let major = __wrap_gss_indicate_mechs(&minor, &mechanisms)
        guard gitci_gssapi_loaded() != 0 else {
            // A machine without the library: the call fails as GSSAPI calls fail.
            #expect(major == 13 << 16)
            return
        }
        #expect(try Self.mapsKerberos)
        #expect(major == 0, "gss_indicate_mechs: major \(major), minor \(minor)")
        // gss_OID_set_desc starts with its count: Kerberos 5 at least.
        let count = try #require(mechanisms).load(as: Int.self)
        #expect(count >= 1)
        #expect(__wrap_gss_release_oid_set(&minor, &mechanisms) == 0)
    }
}
