import Foundation
@testable import Pipeline
import Testing

/// tox's environment list, read as tox reads it. The fixtures are tox configurations modelled on
/// real projects'; each folder's `expected.txt` is what `tox -l` (tox 4.67) printed in it.
@Suite struct ToxConfigurationTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tox")

    static let fixtureNames = ["pluggy", "attrs", "requests", "django", "legacy-pyproject", "native-toml",
                               "native-pyproject", "edge", "setup-cfg"]

    @Test(arguments: fixtureNames)
    func theListIsWhatToxPrints(_ name: String) throws {
        let folder = Self.fixtures.appendingPathComponent(name)
        let file = try #require(ToxConfiguration.fileNames.first {
            FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
        })
        let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        let expected = try String(contentsOf: folder.appendingPathComponent("expected.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(ToxConfiguration.fileDeclaresTox(file, text: text))
        #expect(try ToxConfiguration.parse(text, file: file).environments == expected)
    }

    @Test func theFixturesAreAllChecked() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path)
        #expect(Set(folders) == Set(Self.fixtureNames))
    }

    /// Random generative lists (`Fixtures/tox-envlist-cases.txt`), each beside what `tox -l`
    /// printed for it or `ERROR` when tox refused it.
    @Test func randomListsExpandAsToxExpandedThem() throws {
        let url = Self.fixtures.deletingLastPathComponent().appendingPathComponent("tox-envlist-cases.txt")
        let blocks = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "=== tox.ini\n").dropFirst()
        #expect(blocks.count == 40)
        for block in blocks {
            let parts = block.components(separatedBy: "=== tox -l\n")
            try #require(parts.count == 2)
            let expected = parts[1].split(separator: "\n").map(String.init)
            if expected == ["ERROR"] {
                #expect(throws: ToxConfiguration.Error.self, "\(parts[0])") { try ToxConfiguration.parse(parts[0], file: "tox.ini") }
            } else {
                #expect(try ToxConfiguration.parse(parts[0], file: "tox.ini").environments == expected, "\(parts[0])")
            }
        }
    }

    @Test func labelsAreReadFromEachKindOfFile() throws {
        func labels(_ name: String, _ file: String) throws -> [ToxConfiguration.Label] {
            let text = try String(contentsOf: Self.fixtures.appendingPathComponent("\(name)/\(file)"), encoding: .utf8)
            return try ToxConfiguration.parse(text, file: file).labels
        }
        // As `tox -l -m LABEL` printed them.
        #expect(try labels("edge", "tox.ini") == [
            .init(name: "test", environments: ["py310-x1", "py311-x1", "py312-x1"]),
            .init(name: "static", environments: ["lint", "docs"]),
        ])
        #expect(try labels("native-toml", "tox.toml") == [
            .init(name: "test", environments: ["3.13", "3.12", "3.11"]),
            .init(name: "check", environments: ["fix", "type"]),
        ])
        #expect(try labels("native-pyproject", "pyproject.toml") == [.init(name: "ci", environments: ["3.13", "lint"])])
    }

    @Test func generativeNamesExpandInOrder() throws {
        #expect(try ToxFactors.expand("py3{10,11,12}-django{42,50}") == [
            "py310-django42", "py310-django50", "py311-django42", "py311-django50", "py312-django42", "py312-django50",
        ])
        #expect(try ToxFactors.expand(" py3{10-13} ") == ["py310", "py311", "py312", "py313"])
        #expect(try ToxFactors.expand("py{ 38 , 39 }-{a}{b,c}") == ["py38-ab", "py38-ac", "py39-ab", "py39-ac"])
        #expect(try ToxFactors.expand("w{12-10}, v{12-}") == ["w12", "w11", "w10", "v12", "v13", "v14", "v15"])
        #expect(try ToxFactors.expand("py3-django-4-2") == ["py3-django-4-2"])
    }

    @Test func aNameToxRefusesIsAnError() throws {
        let error = try #require(throws: ToxConfiguration.Error.self) {
            try ToxConfiguration.parse("[tox]\nenvlist =\n  py312\n  a b/c\n", file: "tox.ini")
        }
        #expect(error.description == "tox.ini:2: env_list: 'a b/c' is not a valid tox environment name")
    }

    @Test func brokenFilesAreErrorsNamingTheirLine() throws {
        let toml = try #require(throws: ToxConfiguration.Error.self) {
            try ToxConfiguration.parse("[tool.tox]\nenv_list = [\"a\",\n  \"b\n]\n", file: "pyproject.toml")
        }
        #expect(toml.file == "pyproject.toml" && toml.line == 3)
        let legacy = try #require(throws: ToxConfiguration.Error.self) {
            try ToxConfiguration.parse("[tool.tox]\nlegacy_tox_ini = 3\n", file: "pyproject.toml")
        }
        #expect(legacy.description == "pyproject.toml:2: tool.tox.legacy_tox_ini must be a string")
        let ini = try #require(throws: ToxConfiguration.Error.self) {
            try ToxConfiguration.parse("[tool.tox]\nlegacy_tox_ini = '''\n[tox]\nnot a key\n'''\n", file: "pyproject.toml")
        }
        #expect(ini.line == 4)
        #expect(throws: ToxConfiguration.Error.self) {
            try ToxConfiguration.parse("env_list = [{ product = [[\"a\"]] }]\n", file: "tox.toml")
        }
    }

    /// As `tox -l` printed them: native keys beside `legacy_tox_ini` win over it; a byte order
    /// mark is no part of the file's text.
    @Test func nativeKeysWinOverTheLegacyString() throws {
        let both = "[tool.tox]\nenv_list = [\"native\"]\nlegacy_tox_ini = \"\"\"\n[tox]\nenvlist = legacy\n\"\"\"\n"
        #expect(try ToxConfiguration.parse(both, file: "pyproject.toml").environments == ["native"])
        let legacyOnly = "[tool.tox]\nlegacy_tox_ini = \"\"\"\n[tox]\nenvlist = legacy\n\"\"\"\n"
        #expect(try ToxConfiguration.parse(legacyOnly, file: "pyproject.toml").environments == ["legacy"])
        #expect(try ToxConfiguration.parse("\u{FEFF}env_list = [\"a\"]\n", file: "tox.toml").environments == ["a"])
    }

    @Test func onlyFilesWithAToxSectionCount() {
        #expect(!ToxConfiguration.fileDeclaresTox("pyproject.toml", text: "[project]\nname = \"x\"\n"))
        #expect(ToxConfiguration.fileDeclaresTox("pyproject.toml", text: "[tool.tox]\nenv_list = [\"a\"]\n"))
        #expect(!ToxConfiguration.fileDeclaresTox("setup.cfg", text: "[metadata]\nname = x\n"))
        #expect(ToxConfiguration.fileDeclaresTox("tox.ini", text: ""))
    }
}
