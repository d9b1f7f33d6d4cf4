import Foundation
import Testing
import TestSupport

/// `gitci init`: a starter pipeline chosen from what the repository holds, never overwriting.
@Suite struct InitCommandTests {
    @Test(arguments: [
        (["pyproject.toml": "[project]\nname = \"app\"\n"], "python"),
        (["Package.swift": "// swift-tools-version: 6.0\n"], "swift"),
        (["README.md": "# nothing to detect\n"], "generic"),
        (["pyproject.toml": "[project]\n", "Package.swift": "// swift\n"], "python"),
    ])
    func detectsTheTemplate(files: [String: String], template: String) throws {
        let repo = try GitFixture(files: files)
        let result = try GitciBinary.run(["init"], in: repo.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\(template) template"))
        let written = try String(contentsOfFile: repo.directory.url(".gitci.yml"), encoding: .utf8)
        if template == "python" {
            // Written from what the project holds (PythonStarterTests, PythonStarterRunTests).
            #expect(written.contains("python -m pytest --junitxml=report.xml"))
        } else {
            #expect(written == (try Templates.contents(template)))
        }
        // What init writes is a valid pipeline.
        let validate = try GitciBinary.run(["validate"], in: repo.path)
        #expect(validate.status == 0, "\(validate.stderr)")
    }

    @Test func anExplicitTemplateWins() throws {
        let repo = try GitFixture(files: ["pyproject.toml": "[project]\n"])
        let result = try GitciBinary.run(["init", "--template", "swift"], in: repo.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: repo.directory.url(".gitci.yml"), encoding: .utf8) == (try Templates.contents("swift")))
    }

    @Test func theGenericStarterRunsGreen() throws {
        let repo = try GitFixture(files: ["README.md": "hello\n"])
        #expect(try GitciBinary.run(["init"], in: repo.path).status == 0)
        let result = try GitciBinary.run(["run", "--json"], in: repo.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try jsonObject(result.stdout)["status"] as? String == "passed")
    }

    @Test func anExistingPipelineIsNeverOverwritten() throws {
        let mine = "jobs:\n  mine:\n    steps: [\"true\"]\n"
        let repo = try repository(pipeline: mine, files: ["pyproject.toml": "[project]\n"])
        for arguments in [["init"], ["init", "--template", "generic"]] {
            let result = try GitciBinary.run(arguments, in: repo.path)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains("already exists"), "\(arguments): \(result.stderr)")
        }
        #expect(try String(contentsOfFile: repo.directory.url(".gitci.yml"), encoding: .utf8) == mine)
        #expect(try repo.git(["status", "--porcelain"]).isEmpty)
    }

    @Test func anUnknownTemplateIsAUsageError() throws {
        let repo = try GitFixture()
        let result = try GitciBinary.run(["init", "--template", "cobol"], in: repo.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("cobol"))
        #expect(!FileManager.default.fileExists(atPath: repo.directory.url(".gitci.yml")))
    }

    @Test func initFromASubfolderWritesAtTheTop() throws {
        let repo = try GitFixture(files: ["Package.swift": "// swift\n", "Sources/App/main.swift": "print(1)\n"])
        let result = try GitciBinary.run(["init"], in: repo.directory.url("Sources/App"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: repo.directory.url(".gitci.yml")))
        #expect(!FileManager.default.fileExists(atPath: repo.directory.url("Sources/App/.gitci.yml")))
        #expect(try String(contentsOfFile: repo.directory.url(".gitci.yml"), encoding: .utf8) == (try Templates.contents("swift")))
    }
}
