import Foundation
import HookIntake
import Testing
import TestSupport

/// What the pre-receive hook writes as a push's hint, and what the worker reads back.
@Suite struct PushHintFileTests {
    static let a = String(repeating: "a", count: 40)
    static let b = String(repeating: "b", count: 40)
    static let zero = String(repeating: "0", count: 40)

    static func input(_ lines: [String]) -> [UInt8] {
        Array(lines.map { $0 + "\n" }.joined().utf8)
    }

    @Test func onlyBranchUpdatesOfAPlainPushAreHinted() throws {
        let mixed = Self.input(["\(Self.a) \(Self.b) refs/heads/main", "\(Self.zero) \(Self.b) refs/tags/v1",
                                "\(Self.a) \(Self.zero) refs/heads/gone", "\(Self.zero) \(Self.a) refs/heads/new one"])
        let hint = try #require(PushHint.forPush(mixed, push: "12-34", optionCount: 0))
        #expect(hint.push == "12-34")
        #expect(hint.events.map(\.ref) == ["refs/heads/main", "refs/heads/new one"])
        #expect(hint.events.allSatisfy { $0.push == "12-34" && $0.options.isEmpty })

        let branch = Self.input(["\(Self.a) \(Self.b) refs/heads/main"])
        #expect(PushHint.forPush(branch, push: "12-34", optionCount: 1) == nil, "push options are the post-receive hook's")
        #expect(PushHint.forPush(branch, push: nil, optionCount: 0) == nil, "a push without a name cannot be matched")
        #expect(PushHint.forPush(Self.input(["\(Self.zero) \(Self.b) refs/tags/v1"]), push: "12-34", optionCount: 0) == nil)
        #expect(PushHint.forPush(Self.input(["\(Self.a) \(Self.zero) refs/heads/gone"]), push: "12-34", optionCount: 0) == nil)
        #expect(PushHint.forPush(Self.input(["\(Self.a) \(Self.b) refs/heads/main", "not a line"]), push: "12-34",
                                 optionCount: 0) == nil)
        let many = Self.input((0..<65).map { "\(Self.zero) \(Self.a) refs/heads/b\($0)" })
        #expect(PushHint.forPush(many, push: "12-34", optionCount: 0) == nil, "a big push is left to the post-receive hook")
    }

    @Test func aWrittenHintIsReadBackOnceAndItsFileKeptForTheNext() throws {
        let state = TemporaryDirectory("gitci-hints")
        let name = "\(Self.b) \(String(repeating: "x", count: 200)) $(touch pwned) 'q' \"d\" ü"
        let hint = try #require(PushHint.forPush(Self.input(["\(Self.a) \(Self.b) refs/heads/\(name)"]), push: "5-6",
                                                 optionCount: 0))
        #expect(hint.write(in: state.path))
        let taken = PushHint.takeAll(in: state.path)
        #expect(taken.hints == [hint])
        #expect(taken.unreadable.isEmpty)
        #expect(PushHint.takeAll(in: state.path).hints.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: PushHint.folder(in: state.path)) == [".spare"])
        #expect(!FileManager.default.fileExists(atPath: state.path + "/pwned"))
    }

    @Test func theNextHintIsWrittenIntoTheFileTheLastOneLeft() throws {
        let state = TemporaryDirectory("gitci-hints")
        let folder = PushHint.folder(in: state.path)
        func inode(_ name: String) -> UInt64? {
            var status = stat()
            return lstat(folder + "/" + name, &status) == 0 ? UInt64(status.st_ino) : nil
        }
        let first = PushHint(push: "1-2", events: [PushEvent(old: Self.a, new: Self.b, ref: "refs/heads/main", push: "1-2")])
        #expect(first.write(in: state.path))
        let written = inode("1-2")
        #expect(PushHint.takeAll(in: state.path).hints == [first])
        #expect(inode(".spare") == written)
        // Shorter than the first: nothing of it may be left at the end.
        let second = PushHint(push: "3-4", events: [PushEvent(old: Self.zero, new: Self.a, ref: "refs/heads/x", push: "3-4")])
        #expect(second.write(in: state.path))
        #expect(inode("3-4") == written)
        #expect(inode(".spare") == nil)
        let taken = PushHint.takeAll(in: state.path)
        #expect(taken.hints == [second])
        #expect(taken.unreadable.isEmpty)
        // Two hints read at once: one file is kept, the other removed.
        #expect(first.write(in: state.path) && second.write(in: state.path))
        #expect(PushHint.takeAll(in: state.path).hints.count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == [".spare"])
    }

    @Test func aStateFolderThatCannotTakeAHintIsNoError() {
        let missing = TemporaryDirectory("gitci-hints").path + "/no/such/folder"
        let hint = PushHint(push: "1-2", events: [PushEvent(old: Self.a, new: Self.b, ref: "refs/heads/main", push: "1-2")])
        #expect(!hint.write(in: missing))
        #expect(PushHint.takeAll(in: missing).hints.isEmpty)
    }

    @Test func aPushIsNamedByTheProcessThatRunsItsHooks() throws {
        #expect(ReceivingPush.isName("123-456"))
        for name in ["", "123", "123-", "-456", "12-34-56", "../x", "1a-2", "123-456\n", String(repeating: "1", count: 21) + "-1"] {
            #expect(!ReceivingPush.isName(name), "\(name)")
        }
        // The name a process gives its push: its parent's pid and start time (field 22).
        let name = try #require(ReceivingPush.current())
        let stat = try String(contentsOfFile: "/proc/\(getppid())/stat", encoding: .utf8)
        let fields = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")
        #expect(name == "\(getppid())-\(fields[19])")
        // A hook's child is told the name (its own parent is not the push's receive-pack); a
        // value that is no name is not taken.
        setenv(ReceivingPush.variable, "77-88", 1)
        #expect(ReceivingPush.current() == "77-88")
        setenv(ReceivingPush.variable, "$(touch pwned)", 1)
        #expect(ReceivingPush.current() == name)
        unsetenv(ReceivingPush.variable)
    }
}
