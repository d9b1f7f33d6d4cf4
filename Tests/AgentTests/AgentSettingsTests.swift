import Agent
import Testing

@Suite struct AgentSettingsTests {
    @Test func aTrailingSlashOfTheServerIsDropped() {
        let settings = AgentSettings(server: "http://127.0.0.1:8080//", token: "t", labels: [], slots: 0, name: "n", home: "/tmp/x")
        #expect(settings.server == "http://127.0.0.1:8080")
        #expect(settings.slots == 1)
    }
}
