@testable import Runner
import Testing

/// Job names become file names (their logs, their workspaces): only `[A-Za-z0-9._-]` is kept,
/// one `_` for every other character, whatever its bytes.
@Suite struct FileNameTests {
    @Test(arguments: [
        ("build", 1, "001-build"),
        ("test (python=3.12)", 2, "002-test__python_3.12_"),
        // `env NO_COLOR= $dir/jq` takes a path holding `=` for one more assignment.
        ("linux (cc=gcc)", 8, "008-linux__cc_gcc_"),
        ("../../etc/passwd", 3, "003-_.._etc_passwd"),
        ("..hidden", 4, "004-hidden"),
        ("déjà vu", 5, "005-d_j__vu"),
        ("e\u{301}t\u{e9}", 6, "006-_t_"),
        ("a\r\nb\tc", 7, "007-a_b_c"),
        ("$(rm -rf ~)", 12, "012-__rm_-rf___"),
        ("🚀 ship", 100, "100-__ship"),
        (String(repeating: "x", count: 100), 1000, "1000-" + String(repeating: "x", count: 80)),
    ])
    func aJobNameBecomesASafeFileName(name: String, position: Int, expected: String) {
        #expect(FileName.forJob(name, position: position) == expected)
    }
}
